import { expect } from 'chai';
import { FailureLog } from '../../src/observability/failure-log.ts';
import type { Logger } from '../../src/observability/logger.ts';

describe('FailureLog', () => {
  it('logs a repeating failure once per change of state, and the recovery once', () => {
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(`warn ${m}`), info: (m: string) => lines.push(`info ${m}`) } as unknown as Logger;
    const f = new FailureLog(logger, 'task queue tick');
    const refused = Object.assign(new Error('database unavailable: ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 50; i++) f.failed(refused);
    f.failed(new Error('query timed out after 5000 ms'));
    f.failed(new Error('query timed out after 5001 ms'));
    expect(f.failures).to.equal(52);
    f.succeeded();
    f.succeeded();
    expect(lines).to.deep.equal([
      'warn task queue tick failed; retrying (logged again when the error changes or it recovers)',
      'warn task queue tick failed; retrying (logged again when the error changes or it recovers)',
      'info task queue tick works again',
    ]);
  });
});
