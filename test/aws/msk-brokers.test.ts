import type { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { describe, expect, it } from 'vitest';
import { BootstrapBrokersError, parseBrokerString, resolveIamBrokers } from '../../aws/msk-brokers.js';

const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/log-pipeline/abcd-1';

function fakeKafka(answer: { BootstrapBrokerStringSaslIam?: string } | Error) {
  const calls: GetBootstrapBrokersCommand[] = [];
  return {
    calls,
    send: async (command: GetBootstrapBrokersCommand) => {
      calls.push(command);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('resolveIamBrokers', () => {
  it('returns the IAM bootstrap brokers of the cluster', async () => {
    const client = fakeKafka({ BootstrapBrokerStringSaslIam: 'b-1.x:9098,b-2.x:9098' });

    expect(await resolveIamBrokers(arn, client)).toEqual(['b-1.x:9098', 'b-2.x:9098']);
    expect(client.calls[0].input).toEqual({ ClusterArn: arn });
  });

  it('fails with a hint when the cluster has no IAM listener', async () => {
    await expect(resolveIamBrokers(arn, fakeKafka({}))).rejects.toThrow(/enable IAM client authentication/);
  });

  it('wraps API failures with the cluster ARN', async () => {
    const error = await resolveIamBrokers(arn, fakeKafka(new Error('AccessDenied'))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BootstrapBrokersError);
    expect((error as Error).message).toContain(arn);
    expect(((error as Error).cause as Error).message).toBe('AccessDenied');
  });
});

describe('parseBrokerString', () => {
  it('ignores blanks and surrounding spaces', () => {
    expect(parseBrokerString(' a:1 , ,b:2 ')).toEqual(['a:1', 'b:2']);
  });
});
