// The local endpoints default to the stack's loopback ports and honour the documented env overrides.
import { describe, expect, it } from 'vitest';
import { LOCAL_PORTS, localEndpoints, portOffset } from '../../local/endpoints.js';

describe('localEndpoints', () => {
  it('points at the local stack by default', () => {
    expect(localEndpoints({})).toEqual({
      brokers: [`127.0.0.1:${LOCAL_PORTS.kafka}`],
      opensearchUrl: `http://127.0.0.1:${LOCAL_PORTS.opensearch}`,
      mysqlUrl: `mysql://root@127.0.0.1:${LOCAL_PORTS.mariadb}/logpipeline`,
    });
  });

  it('uses the fixed ports, shifted by LOCAL_PORT_OFFSET when it is set', () => {
    expect(LOCAL_PORTS).toEqual({
      kafka: 19092 + portOffset(),
      kafkaController: 19093 + portOffset(),
      opensearch: 19200 + portOffset(),
      opensearchTransport: 19300 + portOffset(),
      mariadb: 13306 + portOffset(),
      dashboard: 19400 + portOffset(),
    });
  });

  it('takes KAFKA_BROKERS, OPENSEARCH_URL and MYSQL_URL from the environment', () => {
    expect(
      localEndpoints({
        KAFKA_BROKERS: 'a:9092, b:9092',
        OPENSEARCH_URL: 'https://search.example:443/',
        MYSQL_URL: 'mysql://u:p@db:3306/x',
      }),
    ).toEqual({
      brokers: ['a:9092', 'b:9092'],
      opensearchUrl: 'https://search.example:443',
      mysqlUrl: 'mysql://u:p@db:3306/x',
    });
  });
});

describe('portOffset', () => {
  it('is 0 unless LOCAL_PORT_OFFSET is set', () => {
    expect(portOffset({})).toBe(0);
    expect(portOffset({ LOCAL_PORT_OFFSET: '30' })).toBe(30);
  });

  it('rejects an offset that would overlap another stack', () => {
    expect(() => portOffset({ LOCAL_PORT_OFFSET: '15' })).toThrow(/multiple of 10 from 0 to 90, got '15'/);
    expect(() => portOffset({ LOCAL_PORT_OFFSET: '100' })).toThrow(/got '100'/);
  });
});
