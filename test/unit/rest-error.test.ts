import { expect } from 'chai';
import { forbidden, RestError } from '../../src/http/rest-error.ts';

describe('RestError', () => {
  it("carries WordPress's error body and no stack frames, and leaves stack capture on for other errors", () => {
    const limit = Error.stackTraceLimit;
    const e = forbidden(false);
    expect(e).to.be.instanceOf(RestError).and.instanceOf(Error);
    expect(e.toBody()).to.deep.equal({ code: 'rest_forbidden', message: 'Sorry, you are not allowed to do that.', data: { status: 401 } });
    expect(e.stack).to.equal('RestError: Sorry, you are not allowed to do that.');
    expect(Error.stackTraceLimit).to.equal(limit);
    expect(new Error('fault').stack).to.match(/\n\s+at /);
  });
});
