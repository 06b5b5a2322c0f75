// The props audit of lib/ (test/support/props-audit.ts): every prop documented, every optional prop with
// `@default`, interfaces rather than concrete construct classes, ec2.InstanceType rather than strings, every
// construct running its own `check...Props` in its constructor. It prints the counts and fails on any shortfall
// that is not one of the reasoned exceptions below.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditProps } from '../support/props-audit.js';

/**
 * Constructs that run no `check...Props` function of their own, and why that is right. A construct listed here is
 * not a known offender: it has nothing a check could refuse.
 */
const NO_CHECK_NEEDED: Readonly<Record<string, string>> = {
  LogEncryption: 'takes no props: one KMS key with a fixed policy',
  DashboardsAuth: 'takes no props: a Cognito user pool and identity pool with fixed settings',
  StreamingBase:
    'abstract base of Streaming and ExistingKafkaCluster (their grants and metrics): no props; its subclasses check theirs',
  SearchDomainBase:
    'abstract base of Search and ExistingSearchDomain (their grants and FGAC role mappings): no props; its subclasses check theirs',
  PipelineProvider: "its props are PipelineFunction's, which PipelineFunction validates",
  LogPipeline:
    "resolveConfig (lib/config.ts validate()) runs every part's check on the resolved settings before any part is built",
};

/*
 * The kinds of shortfall (none is left in lib/; the exceptions above and below each say why they are right):
 * - undocumented: no JSDoc description (a bare `@default` is not one);
 * - no-default: optional without a `@default` tag;
 * - concrete-class: typed by a construct class of lib/ or by a CDK class that has an interface (take
 *   `ecs.IFargateService`, `lambda.IEventSourceMapping`, `IStreaming`... so imported resources fit);
 * - string-instance-type: an instance type as a string where the CDK's own construct takes ec2.InstanceType;
 *   keep a string only where the CDK's does (opensearch `dataNodeInstanceType`), say so in the doc and list it
 *   under STRING_INSTANCE_TYPE_LIKE_THE_CDK;
 * - no-validation: the construct's module exports no `check...Props(props, fail)` run by its constructor.
 */

/** String instance types that follow the CDK's own construct for the service (a string there too). */
const STRING_INSTANCE_TYPE_LIKE_THE_CDK: readonly string[] = [
  // opensearch.CapacityConfig's dataNodeInstanceType and masterNodeInstanceType are the service's own names.
  'SearchProps.instanceType',
  'SearchProps.masterInstanceType',
  // The pipeline's settings are one schema for LogPipeline's props and the JSON `logPipeline` context object of
  // cdk.json, where a type can only be a string; each is written as its service names it (`kafka.m7g.large`,
  // `r6g.large.search`) and checked by the construct that owns it, which takes an ec2.InstanceType (or, for
  // OpenSearch, the string the CDK's own construct takes).
  'LogPipelineProps.brokerInstanceType',
  'LogPipelineProps.dbInstanceType',
  'LogPipelineProps.generatorInstanceType',
  'LogPipelineProps.searchInstanceType',
  'LogPipelineProps.searchMasterInstanceType',
];

const allowed = new Set([
  ...Object.keys(NO_CHECK_NEEDED).map((name) => `${name}: no-validation`),
  ...STRING_INSTANCE_TYPE_LIKE_THE_CDK.map((prop) => `${prop}: string-instance-type`),
]);

describe('props audit of lib/', () => {
  const { counts, violations } = auditProps(path.resolve('lib'));

  it('finds no shortfall beyond the reasoned exceptions', () => {
    console.log('props audit of lib/:', counts);
    expect(violations.filter((v) => !allowed.has(v))).toEqual([]);
  });

  it('lists no exception that no longer matches a shortfall', () => {
    expect([...allowed].filter((v) => !violations.includes(v))).toEqual([]);
  });
});

describe('auditProps', () => {
  const fixture = auditProps(path.resolve('test/fixtures/props-audit'));

  it('reports every kind of shortfall, naming the props interface or construct', () => {
    expect(fixture.violations).toEqual(
      [
        'GadgetProps.region: no-default',
        'WidgetProps.bucket: concrete-class',
        'WidgetProps.instanceType: string-instance-type',
        'WidgetProps.owner: concrete-class',
        'WidgetProps.retries: no-default',
        'WidgetProps.retries: undocumented',
        'WidgetProps.service: concrete-class',
        'Widget: no-validation',
      ].sort(),
    );
  });

  it('counts inherited props of lib/ interfaces as optional under Partial, and checks called in constructors', () => {
    expect(fixture.counts).toEqual({
      propsInterfaces: 3,
      props: 11,
      required: 7,
      documented: 10,
      optional: 4,
      optionalWithDefault: 2,
      concreteClassTyped: 3,
      stringInstanceTypes: 1,
      constructs: 3,
      constructsValidating: 2,
    });
  });
});
