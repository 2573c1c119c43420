import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findUploadsDir, wordpressRoot, wordpressVersionFile } from '../../src/config/wordpress-paths.ts';

describe('where the WordPress site is on disk', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-wp-'));
    // wp-config.php one level above ABSPATH, as WordPress allows.
    await mkdir(path.join(dir, 'public', 'wp-includes'), { recursive: true });
    await mkdir(path.join(dir, 'public', 'wp-content', 'uploads'), { recursive: true });
    await mkdir(path.join(dir, 'media'));
    await writeFile(path.join(dir, 'public', 'wp-settings.php'), '<?php\n');
    await writeFile(path.join(dir, 'public', 'wp-includes', 'version.php'), "<?php\n$wp_version = '6.4.3';\n");
    await writeFile(path.join(dir, 'wp-config.php'), '<?php\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const site = () => ({ configPath: path.join(dir, 'wp-config.php'), contentDir: '' });

  it('finds ABSPATH beside wp-config.php or in the directory below it, and reads its version.php', async () => {
    expect(wordpressRoot(site().configPath)).to.equal(path.join(dir, 'public'));
    expect(wordpressRoot('')).to.equal(null);
    expect(await wordpressVersionFile(site())).to.equal('6.4.3');
  });

  it('finds uploads as WordPress does: upload_path (relative to ABSPATH or absolute), WP_CONTENT_DIR, then wp-content/uploads', async () => {
    expect(await findUploadsDir('', site(), '')).to.deep.equal({ dir: path.join(dir, 'public', 'wp-content', 'uploads') });
    expect(await findUploadsDir('', site(), path.join(dir, 'media'))).to.deep.equal({ dir: path.join(dir, 'media') });
    expect(await findUploadsDir('', site(), '../media')).to.deep.equal({ dir: path.join(dir, 'media') });
    expect(await findUploadsDir('', { ...site(), contentDir: dir }, '')).to.deep.equal({
      dir: path.join(dir, 'public', 'wp-content', 'uploads'),
    });
    expect(await findUploadsDir('', { configPath: '', contentDir: '' }, '')).to.deep.equal({ tried: [] });
  });

  it('a configured SLBP_UPLOADS_DIR is the one: when it does not exist nothing else is used', async () => {
    expect(await findUploadsDir(path.join(dir, 'media'), site(), '')).to.deep.equal({ dir: path.join(dir, 'media') });
    expect(await findUploadsDir(path.join(dir, 'gone'), site(), '')).to.deep.equal({ tried: [path.join(dir, 'gone')] });
  });
});
