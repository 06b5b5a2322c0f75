import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PipelineConfigError, resolveConfig } from '../../lib/config.js';
import { DEFAULT_PROFILE, PROFILES } from '../../lib/profiles.js';

function errorOf(fn: () => unknown): PipelineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineConfigError) return error;
    throw error;
  }
  throw new Error('expected a PipelineConfigError');
}

describe('cost profiles', () => {
  it('gives the dev profile when no layer names one', () => {
    expect(DEFAULT_PROFILE).toBe('dev');
    expect(resolveConfig().profile).toBe('dev');
    expect(resolveConfig({ batchSize: 100 }).profile).toBe('dev');
  });

  it('makes dev cheaper without touching the VPC, the MSK cluster or the database of the base', () => {
    const dev = resolveConfig({ profile: 'dev' });
    expect(dev).toMatchObject({
      interfaceEndpoints: false,
      pollerMode: 'on-demand',
      searchDataNodes: 1,
      searchInstanceType: 't3.small.search',
      searchMasterNodes: 0,
    });
    // What a profile switch from the base would replace: none of these may differ.
    for (const key of [
      'azCount',
      'natGateways',
      'brokerCount',
      'brokerInstanceType',
      'brokerVolumeGiB',
      'replicationFactor',
      'topicPartitions',
      'dbInstanceType',
      'dbMultiAz',
    ] as const) {
      expect(dev[key], key).toEqual(DEFAULT_CONFIG[key]);
    }
  });

  it('sizes production over three AZs with RF 3, min.insync.replicas 2, Multi-AZ RDS and dedicated masters', () => {
    const production = resolveConfig({ profile: 'production' });
    expect(production).toMatchObject({
      profile: 'production',
      azCount: 3,
      natGateways: 3,
      brokerCount: 3,
      brokerInstanceType: 'kafka.m7g.large',
      replicationFactor: 3,
      minInsyncReplicas: 2,
      dbMultiAz: true,
      searchDataNodes: 3,
      searchInstanceType: 'r6g.large.search',
      searchMasterNodes: 3,
      searchMasterInstanceType: 'm6g.large.search',
      interfaceEndpoints: true,
      pollerMode: 'provisioned',
    });
  });

  it('lets every other key override the profile, in context and in props', () => {
    const config = resolveConfig(
      { profile: 'production', searchMasterNodes: 0, dbMultiAz: 'false' },
      { brokerInstanceType: 'kafka.m5.large' },
    );
    expect(config.searchMasterNodes).toBe(0);
    expect(config.dbMultiAz).toBe(false);
    expect(config.brokerInstanceType).toBe('kafka.m5.large');
    expect(config.azCount).toBe(3);
    expect(resolveConfig({ pollerMode: 'provisioned' }).pollerMode).toBe('provisioned');
    expect(resolveConfig({ interfaceEndpoints: 'true' }).interfaceEndpoints).toBe(true);
  });

  it('takes the profile of the last layer that names one', () => {
    expect(resolveConfig({ profile: 'production' }, { profile: 'dev' }).profile).toBe('dev');
    expect(resolveConfig({ profile: 'production' }, { batchSize: 100 }).azCount).toBe(3);
  });

  it('follows the overridden replication factor with min.insync.replicas, not the profile', () => {
    const config = resolveConfig({ profile: 'production', brokerCount: 6, replicationFactor: 4 });
    expect(config.minInsyncReplicas).toBe(3);
  });

  it('fails on an unknown profile, naming key, value and fix', () => {
    const error = errorOf(() => resolveConfig({ profile: 'staging' }));
    expect(error.key).toBe('profile');
    expect(error.message).toBe('logPipeline.profile: use "dev" or "production", got "staging"');
  });

  it('fails on a bad poller mode and a master count that cannot keep a quorum', () => {
    expect(() => resolveConfig({ pollerMode: 'auto' })).toThrow(
      'logPipeline.pollerMode: use "provisioned" or "on-demand", got "auto"',
    );
    expect(() => resolveConfig({ searchMasterNodes: 2 })).toThrow(
      'logPipeline.searchMasterNodes: use 0 (none), 3 or 5, got 2',
    );
    expect(() => resolveConfig({ interfaceEndpoints: 'no' })).toThrow(
      'logPipeline.interfaceEndpoints: must be true or false, got "no"',
    );
  });

  it('keeps every profile valid on its own and in both consumer modes', () => {
    for (const profile of Object.keys(PROFILES)) {
      for (const consumerMode of ['lambda', 'fargate']) {
        expect(() => resolveConfig({ profile, consumerMode })).not.toThrow();
      }
    }
  });
});
