// The embed builder: the parts to show, the frame's size, the language, autoplay and the first step,
// with a live preview (an <iframe> of /embed at that size, scaled to the panel) and the code to copy.
// builderView is pure (the code itself is state.js' iframeCode); createBuilder wires the form.
import { EMBED_SIZE } from './config.js';
import { t } from './i18n.js';
import { copyText } from './share.js';
import { EMBED_PARTS, iframeCode } from './state.js';

const clampInt = (value, [lo, hi], fallback) => (Number.isFinite(value) ? Math.max(lo, Math.min(hi, Math.round(value))) : fallback);

/**
 * The builder's choice as the embed's view fields and frame: {view: {hide, lang, autoplay, step},
 * width, height} from {parts (shown), lang, autoplay, step (1-based, as the step report counts), width,
 * height}; sizes held in EMBED_SIZE's range, the step in the run's `steps`.
 */
export function builderView(choice, steps) {
  return {
    view: {
      hide: EMBED_PARTS.filter((p) => !choice.parts.includes(p)),
      lang: choice.lang,
      autoplay: Boolean(choice.autoplay),
      step: clampInt(choice.step - 1, [0, Math.max(0, steps - 1)], 0),
    },
    width: clampInt(choice.width, EMBED_SIZE.width, EMBED_SIZE.default[0]),
    height: clampInt(choice.height, EMBED_SIZE.height, EMBED_SIZE.default[1]),
  };
}

/**
 * The builder in `section`: `embedUrl(view)` is the /embed URL of the page's run with those view
 * fields, `steps()` the run's length. open(step) shows it at that step; every change redraws the
 * preview (after a pause in typing) and the code.
 */
export function createBuilder(section, { embedUrl, steps }) {
  const form = section.querySelector('form');
  const frame = section.querySelector('iframe');
  const stage = section.querySelector('[data-role=preview]');
  const code = section.querySelector('[data-role=code]');
  const copied = section.querySelector('[data-role=copied]');
  const field = (name) => form.elements.namedItem(name);
  let timer = null;

  function read() {
    return builderView({
      parts: EMBED_PARTS.filter((p) => field(`part-${p}`).checked),
      lang: field('lang').value,
      autoplay: field('autoplay').checked,
      step: Number(field('step').value),
      width: Number(field('width').value),
      height: Number(field('height').value),
    }, steps());
  }

  /** The code now, and the preview: the frame at its size, scaled down to the panel's width. */
  function update({ reload = true } = {}) {
    const { view, width, height } = read();
    const src = embedUrl(view);
    code.value = iframeCode(src, { width, height, title: t('page.title_embed') });
    copied.textContent = '';
    const scale = Math.min(1, stage.clientWidth / width || 1);
    Object.assign(frame.style, { width: `${width}px`, height: `${height}px`, transform: `scale(${scale})` });
    stage.style.height = `${Math.ceil(height * scale)}px`;
    if (reload && frame.getAttribute('src') !== src) frame.src = src;
  }

  form.addEventListener('input', () => {
    update({ reload: false });
    clearTimeout(timer);
    timer = setTimeout(update, 400);
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  section.querySelector('[data-action=copy-code]').addEventListener('click', () => {
    copyText(code.value, { box: code, status: copied, copied: 'builder.copied' });
  });
  field('step').max = String(steps());

  return {
    /** Show the builder for the run on screen, starting at playback step `step` (0-based). */
    open(step) {
      section.hidden = false;
      field('step').max = String(steps());
      field('step').value = String(step + 1);
      update();
    },
    /** Put it away. */
    close() {
      section.hidden = true;
      frame.removeAttribute('src');
    },
    /** Redraw the preview and the code (the run or the language changed). */
    refresh() {
      if (!section.hidden) update();
    },
  };
}
