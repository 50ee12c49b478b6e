// Loads the browser build in headless Chromium (SwiftShader WebGL 2) and checks it as a person
// would: the picture holds both spin colours and the viridis streamlines, keys give the desktop's
// `set` lines, a bad URL option gives the one-line message and nothing else, frames keep coming,
// one finger orbits and two fingers zoom, F5's download loads back through F9's file picker.
// URL is served cross-origin isolated (the build with the simulation thread); --plain URL2, the
// same files served without the isolation headers, gets the build without threads: it must run
// too (frames, steps, the picture, a key's set line) and compute what the other computes.
//   node check.mjs URL [--plain URL2] [--measure N...] [--measure-nothreads N...] [--shot FILE]
//                  [--measure-only]  (the measurements without the checks)
// Run by scripts/web test (which serves build-web/ and passes NODE_PATH to puppeteer-core).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const puppeteer = require('puppeteer-core');

const args = process.argv.slice(2);
const base = args[0];
const measureN = [], measurePlainN = [];
let shotFile = '', plain = '', checks = true;
for (let i = 1; i < args.length; i++) {
  const list = args[i] === '--measure' ? measureN : args[i] === '--measure-nothreads' ? measurePlainN : null;
  if (list) while (i + 1 < args.length && /^\d+$/.test(args[i + 1])) list.push(+args[++i]);
  else if (args[i] === '--shot') shotFile = args[++i];
  else if (args[i] === '--plain') plain = args[++i];
  else if (args[i] === '--measure-only') checks = false;
}

let failures = 0;
const pass = (what) => console.log(`ok   ${what}`);
const fail = (what) => { console.log(`FAIL ${what}`); failures++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroviz-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
         '--no-sandbox', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`,
         '--window-size=1280,800'],
  defaultViewport: { width: 1280, height: 800 },
  protocolTimeout: 120000,
});

// A page with its console lines collected (touch: a touch screen, as on a tablet).
async function open(query, touch = false, at = base) {
  const page = await browser.newPage();
  if (touch) await page.setViewport({ width: 1280, height: 800, hasTouch: true });
  const log = [], errors = [];
  page.on('console', (m) => (m.type() === 'error' ? errors : log).push(m.text()));
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  // the isolated page with its simulation worker (?worker=1): on 2 cores it would choose the
  // build without threads by itself (check 1b), and the checks here are meant for the threaded
  // build; the plain host always gets the build without threads
  const q = at === base && !/[?&]worker=/.test(query) ? query + (query ? '&' : '?') + 'worker=1' : query;
  await page.goto(at + q, { waitUntil: 'load' });
  return { page, log, errors };
}
const stats = (page) => page.evaluate(() => window.ferroviz.stats());
async function waitFrames(page, k, seconds) {
  const t0 = Date.now();
  for (;;) {
    const s = await stats(page);
    if (s.frames >= k) return s;
    if (Date.now() - t0 > seconds * 1000) return s;
    await sleep(200);
  }
}

// Pixels: both spin colours among the arrows, viridis along the streamlines (in the middle of
// the picture, away from the colour bar, which is viridis too).
// (the green half of viridis only: its blue and purple end is too close to shaded blue arrows)
const VIRIDIS = [[33, 145, 140], [39, 173, 129], [92, 200, 99], [170, 220, 50], [31, 158, 137]];
function classify(png) {
  const { data, width, height } = png;
  let up = 0, down = 0, vir = 0;
  for (let y = Math.floor(height * 0.2); y < height * 0.8; y++)
    for (let x = Math.floor(width * 0.25); x < width * 0.75; x++) {
      const i = 4 * (y * width + x), r = data[i], g = data[i + 1], b = data[i + 2];
      if (r > 170 && g > 50 && g < 170 && b < 90 && r - g > 60) up++;            // orange, sigma = +1
      else if (b > 170 && r < 120 && g > 60 && g < 190 && b - r > 90) down++;  // blue, sigma = -1
      else if (VIRIDIS.some(([R, G, B]) => Math.abs(r - R) + Math.abs(g - G) + Math.abs(b - B) < 40)
               && !(b > 170 && r < 120)) vir++;
    }
  return { up, down, vir };
}
async function decode(page, buf) { // the PNG decoded by the browser itself (no npm PNG decoder)
  const b64 = buf.toString('base64');
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return { width: img.width, height: img.height, data: Array.from(g.getImageData(0, 0, img.width, img.height).data) };
  }, b64);
}

try {
  // 1. the default demo: frames come, the picture has what the desktop's has
  if (checks) {
    const { page, log, errors } = await open('?n=1000');
    const s1 = await waitFrames(page, 20, 90);
    await sleep(4000); // streamlines are computed after the first steps
    const s2 = await stats(page);
    const build = await page.evaluate(() => [window.crossOriginIsolated, window.ferroviz.build]);
    (build[0] && build[1] === 'threads' ? pass : fail)(
      `served isolated: crossOriginIsolated ${build[0]}, build ${build[1]} (want true, threads)`);
    if (s1.frames >= 20 && s2.frames > s1.frames) pass(`stats().frames grows (${s1.frames} -> ${s2.frames})`);
    else fail(`stats().frames did not grow: ${JSON.stringify(s1)} -> ${JSON.stringify(s2)}; errors: ${errors.join(' | ')}`);
    if (s2.n === 1000 && s2.sim_steps > 0) pass(`the simulation steps (n=${s2.n}, ${s2.sim_steps} steps, t=${s2.sim_time})`);
    else fail(`the simulation does not step: ${JSON.stringify(s2)}`);
    const buf = await page.screenshot({ type: 'png' });
    if (shotFile) fs.writeFileSync(shotFile, buf);
    const c = classify(await decode(page, buf));
    const okc = c.up > 300 && c.down > 300 && c.vir > 150;
    (okc ? pass : fail)(`picture: sigma=+1 ${c.up} px, sigma=-1 ${c.down} px, viridis ${c.vir} px (need > 300, 300, 150)`);

    // 2. keys: the desktop's set lines, in order
    await page.focus('canvas');
    const before = log.length;
    await page.keyboard.press('f');
    await sleep(300);
    await page.keyboard.press('e');
    await sleep(300);
    await page.keyboard.down('Shift');
    await page.keyboard.press('E');
    await page.keyboard.up('Shift');
    await sleep(300);
    await page.keyboard.press(' ');
    // keys are handled at the next frame: wait for the lines (a slow software renderer)
    let sets = [];
    for (let t = 0; t < 150 && sets.length < 4; t++) {
      await sleep(200);
      sets = log.slice(before).filter((l) => l.startsWith('set '));
    }
    const want = ['set H=0,0,0', 'set eps=0.02', 'set eps=0.01', 'set paused=1'];
    (JSON.stringify(sets) === JSON.stringify(want) ? pass : fail)(
      `keys F, E, Shift+E, Space -> ${JSON.stringify(sets)} (want ${JSON.stringify(want)})`);
    if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
    await page.close();
  }

  // 3. a bad option: the one line, on the page and as console.error, and nothing runs
  if (checks) {
    const { page, errors } = await open('?n=-5');
    for (let t = 0; t < 300 && !errors.some((e) => e.startsWith('ferroviz: ')); t++) await sleep(200);
    await sleep(1000); // anything that would start has had its chance
    const shown = await page.evaluate(() => document.getElementById('msg').textContent);
    const s = await stats(page);
    const line = errors.find((e) => e.startsWith('ferroviz: '));
    const ok = line && shown === line && !shown.includes('\n') && s.frames === 0;
    (ok ? pass : fail)(`?n=-5 -> page "${shown}", console.error "${line}", frames ${s.frames}`);
    await page.close();
  }

  // 4. touch: one finger drags = orbit, two fingers spreading = zoom in (no orbit meanwhile)
  if (checks) {
    const { page, errors } = await open('?n=300', true);
    await waitFrames(page, 5, 90);
    const cdp = await page.target().createCDPSession();
    const touch = (type, pts) => cdp.send('Input.dispatchTouchEvent',
      { type, touchPoints: pts.map(([x, y], id) => ({ x, y, id })) });
    const settle = async () => { const f = (await stats(page)).frames; await waitFrames(page, f + 3, 30); };
    const c0 = (await stats(page)).camera;
    await touch('touchStart', [[640, 400]]);
    for (let k = 1; k <= 6; k++) { await touch('touchMove', [[640 + 40 * k, 400]]); await sleep(30); }
    await touch('touchEnd', []);
    await settle();
    const c1 = (await stats(page)).camera;
    await touch('touchStart', [[600, 400], [680, 400]]);
    for (let k = 1; k <= 6; k++) { await touch('touchMove', [[600 - 30 * k, 400], [680 + 30 * k, 400]]); await sleep(30); }
    await touch('touchEnd', []);
    await settle();
    const c2 = (await stats(page)).camera;
    const f = (c) => `yaw ${c.yaw.toFixed(1)} dist ${c.dist.toFixed(2)}`;
    (c1.yaw < c0.yaw - 20 && Math.abs(c1.dist - c0.dist) < 1e-3 ? pass : fail)(
      `one-finger drag orbits: ${f(c0)} -> ${f(c1)}`);
    (c2.dist < 0.8 * c1.dist && Math.abs(c2.yaw - c1.yaw) < 1e-3 ? pass : fail)(
      `two-finger pinch zooms: ${f(c1)} -> ${f(c2)}`);
    if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
    await page.close();
  }

  // 5. F5 saves the state as a download; F9's file picker loads that file back
  if (checks) {
    const { page, log, errors } = await open('?n=200');
    await waitFrames(page, 5, 90);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroviz-dl-'));
    const cdp = await page.target().createCDPSession();
    await cdp.send('Page.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    // The chooser is awaited from here on: Chromium enables the interception of choosers
    // asynchronously, and a chooser opened before that is cancelled (headless), which made
    // waiting only when F9 was pressed flaky under load.
    const chooserSeen = page.waitForFileChooser({ timeout: 90000 }).catch(() => null);
    await page.focus('canvas');
    await page.keyboard.press(' '); // paused: the saved time is the time loaded back
    await page.keyboard.press('F5');
    const file = path.join(dir, 'ferroviz-state.bin');
    for (let t = 0; t < 150 && !fs.existsSync(file); t++) await sleep(200);
    const saved = log.find((l) => l.startsWith('set save='));
    if (fs.existsSync(file)) {
      await page.keyboard.press('F9');
      const chooser = await chooserSeen;
      if (chooser) await chooser.accept([file]);
      else fail(`F9 opened no file chooser; errors: ${errors.join(' | ')}`);
      let loaded;
      for (let t = 0; t < 150 && !loaded; t++) { await sleep(200); loaded = log.find((l) => l.startsWith('loaded ')); }
      (loaded && /n=200$/.test(loaded) ? pass : fail)(
        `F5 downloaded ${fs.statSync(file).size} bytes (${saved}); F9's picker loaded it: ${loaded}`);
    } else {
      fail(`F5 gave no download in 30 s (${saved}); errors: ${errors.join(' | ')}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await page.close();
  }

  // 6. served without the isolation headers (GitHub Pages and most static hosts): the build
  // without threads runs, with the simulation in the main loop: frames and steps come, the
  // picture has both spin colours and the streamlines, F gives its set line
  if (checks && plain) {
    const { page, log, errors } = await open('?n=1000', false, plain);
    const build = await page.evaluate(() => [window.crossOriginIsolated, window.ferroviz.build]);
    (!build[0] && build[1] === 'nothreads' ? pass : fail)(
      `served plain: crossOriginIsolated ${build[0]}, build ${build[1]} (want false, nothreads)`);
    const s1 = await waitFrames(page, 20, 90);
    await sleep(4000);
    const s2 = await stats(page);
    (s1.frames >= 20 && s2.frames > s1.frames && s2.sim_steps > s1.sim_steps && s2.n === 1000 ? pass : fail)(
      `without threads: frames ${s1.frames} -> ${s2.frames}, steps ${s1.sim_steps} -> ${s2.sim_steps} (n=${s2.n})`);
    const buf = await page.screenshot({ type: 'png' });
    if (shotFile) fs.writeFileSync(shotFile.replace(/(\.png)?$/, '-nothreads.png'), buf);
    const c = classify(await decode(page, buf));
    (c.up > 300 && c.down > 300 && c.vir > 150 ? pass : fail)(
      `without threads, picture: sigma=+1 ${c.up} px, sigma=-1 ${c.down} px, viridis ${c.vir} px (need > 300, 300, 150)`);
    await page.focus('canvas');
    const before = log.length;
    await page.keyboard.press('f');
    let sets = [];
    for (let t = 0; t < 150 && !sets.length; t++) {
      await sleep(200);
      sets = log.slice(before).filter((l) => l.startsWith('set '));
    }
    (JSON.stringify(sets) === JSON.stringify(['set H=0,0,0']) ? pass : fail)(
      `without threads, key F -> ${JSON.stringify(sets)} (want ["set H=0,0,0"])`);
    if (errors.length) fail(`console errors (without threads): ${errors.join(' | ')}`);
    await page.close();
  }

  // 1b. which build the isolated page chooses by itself: the simulation worker only with more
  // than 2 cores (index.html); ?worker=0 forces the build without threads, a bad value is refused
  if (checks) {
    // worker= (empty): the page's own choice, as without the key
    for (const [query, want] of [['?n=300&worker=', ''], ['?n=300&worker=0', 'nothreads']]) {
      const { page } = await open(query);
      await waitFrames(page, 5, 60);
      const [iso, cores, build] = await page.evaluate(
        () => [window.crossOriginIsolated, navigator.hardwareConcurrency, window.ferroviz.build]);
      const expect = want || (cores > 2 ? 'threads' : 'nothreads');
      (iso && build === expect ? pass : fail)(
        `isolated page${query.slice(6)}: ${cores} cores, build ${build} (want ${expect})`);
      await page.close();
    }
    const { page, errors } = await open('?n=300&worker=2');
    await sleep(1500);
    const shown = await page.evaluate(() => document.getElementById('msg').textContent);
    (shown === "ferroviz: ?worker: expected 0 or 1, got '2'" && errors.includes(shown) ? pass : fail)(
      `?worker=2: "${shown}" on the page and the console`);
    await page.close();
  }

  // 7. both builds compute the same numbers: the page without threads links the core's, GSL's
  // and FFTW's objects compiled for the threaded one (-pthread: wasm atomics); the same seed
  // and steps with the fast method (FFTW) must give the same magnetisation, flips and msd to
  // the last bit in both
  if (checks && plain) {
    const q = '?n=2000&stokes=fast&seed=5&sim-steps=4';
    const after = async (at) => {
      const { page, errors } = await open(q, false, at);
      let s = await stats(page);
      for (let t = 0; t < 450 && s.sim_steps < 4; t++) { await sleep(200); s = await stats(page); }
      await page.close();
      return { s, errors };
    };
    const a = await after(base), b = await after(plain);
    const key = ({ s }) => JSON.stringify([s.sim_steps, s.sim_time, s.m, s.flips, s.msd]);
    (a.s.sim_steps === 4 && a.s.flips > 0 && key(a) === key(b) ? pass : fail)(
      `same numbers with and without threads (${q}): ${key(a)} vs ${key(b)}` +
      (a.errors.length + b.errors.length ? `; errors: ${[...a.errors, ...b.errors].join(' | ')}` : ''));
  }

  // 8. speed (not a pass/fail test): frames/s and simulation steps/s over 10 s, then frames/s
  // paused (Space) in the same page, so that the two are compared at the same load
  const measures = [...measureN.map((n) => [n, base, '']),
                    ...(plain ? measurePlainN.map((n) => [n, plain, ' nothreads']) : [])];
  for (const [n, at, what] of measures) {
    const { page } = await open(`?n=${n}`, false, at);
    await waitFrames(page, 10, 120);
    await sleep(3000);
    const rate = async () => {
      const a = await stats(page), t0 = Date.now();
      await sleep(10000);
      const b = await stats(page), dt = (Date.now() - t0) / 1000;
      return { fps: (b.frames - a.frames) / dt, sps: (b.sim_steps - a.sim_steps) / dt, dt, step_ms: b.step_ms };
    };
    const run = await rate();
    console.log(`measure${what} n=${n}: ${run.fps.toFixed(1)} frames/s, ` +
                `${run.sps.toFixed(2)} sim steps/s over ${run.dt.toFixed(1)} s` +
                (run.step_ms ? ` (predicted step ${run.step_ms.toFixed(1)} ms)` : ''));
    await page.keyboard.press('Space');
    await sleep(1500);
    const still = await rate();
    console.log(`measure${what} n=${n} paused: ${still.fps.toFixed(1)} frames/s over ${still.dt.toFixed(1)} s ` +
                `(running/paused ${(run.fps / still.fps).toFixed(2)})`);
    await page.close();
  }
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? `web: ${failures} check(s) failed` : 'web: all checks passed');
process.exit(failures ? 1 : 0);
