import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { maybeSerialize, maybeUnserialize, phpSerialize, PhpSerializeError } from '../../src/data/php-serialize.ts';

/** Runs PHP code with Debian's php-cli and returns its stdout. */
function php(code: string, input = ''): string {
  return execFileSync('php', ['-r', code], { input, encoding: 'utf8' });
}

describe('PHP serialize codec against real PHP', () => {
  const sample = {
    name: 'Zoë – “quotes” and 漢字',
    ids: [1, 2, 3],
    nested: { enabled: true, off: false, ratio: 0.25, none: null },
    big: 9007199254740991,
    emoji: '🎓 course',
  };

  it('reads what PHP serialize() writes (multibyte strings, nested arrays, bool, float, null)', () => {
    const fromPhp = php(`echo serialize(json_decode(stream_get_contents(STDIN), true));`, JSON.stringify(sample));
    expect(maybeUnserialize(fromPhp, 'test')).to.deep.equal(sample);
  });

  it('writes what PHP unserialize() reads back identically', () => {
    const back = php(
      `echo json_encode(unserialize(stream_get_contents(STDIN)), JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);`,
      phpSerialize(sample),
    );
    expect(JSON.parse(back)).to.deep.equal(sample);
  });

  it('keeps plain strings plain, as maybe_serialize() does', () => {
    expect(maybeUnserialize('database', 'opt')).to.equal('database');
    expect(maybeSerialize('redis')).to.equal('redis');
    expect(maybeSerialize(['a'])).to.equal(
      php(`echo maybe_serialize_like(['a']); function maybe_serialize_like($d){ return serialize($d); }`),
    );
  });

  it('reports a broken serialized value by its source name instead of defaulting', () => {
    const broken = 'a:2:{s:3:"key";s:10:"short";}';
    expect(() => maybeUnserialize(broken, 'option slbp_backup_config')).to.throw(PhpSerializeError, /option slbp_backup_config/);
  });
});
