// The header's share box, on the app, the comparison and the Learn page: a link or an embed code, shown in the
// page's [data-role=share] and put on the clipboard (selected to copy by hand when the browser
// refuses the clipboard).
import { t } from './i18n.js';

/** Show `text` (`kind`: 'link' or 'embed') in the page's share box and copy it, saying what happened. */
export async function shareText(kind, text) {
  const box = document.querySelector('[data-role=share-text]');
  const said = document.querySelector('[data-role=share-status]');
  box.value = text;
  document.querySelector('[data-role=share]').hidden = false;
  try {
    await navigator.clipboard.writeText(text);
    said.textContent = t(kind === 'link' ? 'share.link_copied' : 'share.embed_copied');
  } catch {
    box.select();
    said.textContent = t('share.select_to_copy');
  }
}
