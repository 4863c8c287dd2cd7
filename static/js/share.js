// The header's share box, on the app, the comparison and the Learn page: a link or an embed code, shown in the
// page's [data-role=share] and put on the clipboard (selected to copy by hand when the browser
// refuses the clipboard). copyText is the one copy of the pages: the embed builder's "Copy code" too.
import { t } from './i18n.js';

/**
 * Put `text` on the clipboard, shown in the field `box`, and say in `status` what happened: the
 * message `copied` (a catalog key), or, when the browser refuses the clipboard, the field selected
 * and the reader asked to copy it by hand (Ctrl+C).
 */
export async function copyText(text, { box, status, copied }) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = t(copied);
  } catch {
    box.select();
    status.textContent = t('share.select_to_copy');
  }
}

/** Show `text` (`kind`: 'link' or 'embed') in the page's share box and copy it, saying what happened. */
export async function shareText(kind, text) {
  const box = document.querySelector('[data-role=share-text]');
  box.value = text;
  document.querySelector('[data-role=share]').hidden = false;
  await copyText(text, {
    box,
    status: document.querySelector('[data-role=share-status]'),
    copied: kind === 'link' ? 'share.link_copied' : 'share.embed_copied',
  });
}
