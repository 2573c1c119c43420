import { expect } from 'chai';
import { forbidden, SidecarError } from '../../src/errors.ts';
import { errorBody } from '../../src/http/middleware/errors.ts';

describe('SidecarError', () => {
  it("carries WordPress's error body and no stack frames, and leaves stack capture on for other errors", () => {
    const limit = Error.stackTraceLimit;
    const e = forbidden(false);
    expect(e).to.be.instanceOf(SidecarError).and.instanceOf(Error);
    expect(errorBody(e)).to.deep.equal({
      code: 'rest_forbidden',
      message: 'Sorry, you are not allowed to do that.',
      data: { status: 401 },
    });
    expect(e.stack).to.equal('SidecarError: Sorry, you are not allowed to do that.');
    expect(Error.stackTraceLimit).to.equal(limit);
    expect(new Error('fault').stack).to.match(/\n\s+at /);
  });

  it('never changes Error.stackTraceLimit, not even for a moment: the setting is process-wide', () => {
    const own = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')!;
    let value = own.value as number;
    const writes: number[] = [];
    Object.defineProperty(Error, 'stackTraceLimit', {
      configurable: true,
      get: () => value,
      set: (v: number) => {
        writes.push(v);
        value = v;
      },
    });
    try {
      const e = new SidecarError('slbp_test', 'Refused.', 409, { why: 'test' });
      expect([e.code, e.message, e.status, e.data]).to.deep.equal(['slbp_test', 'Refused.', 409, { why: 'test' }]);
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', own);
    }
    expect(writes).to.deep.equal([]);
  });
});
