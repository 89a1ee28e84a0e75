// Images in the text, uploaded from the picker, a drop or a paste, and the feature image.

const editorImages = (ed) => {
  const { el, state, showEditorError, changed } = ed;

  // Each upload holds its place with a placeholder line at the cursor, replaced by the
  // image once the API answers (wherever the line has moved meanwhile), or removed with
  // the API's message shown when it refuses the file.
  const uploadState = $('#upload-state');
  const markdownEdited = () => el.markdown.dispatchEvent(new Event('input'));
  const insertLine = (line) => {
    const area = el.markdown;
    const start = area.selectionStart;
    const before = area.value.slice(0, start);
    const text = (before && !before.endsWith('\n') ? '\n' : '') + line + '\n';
    area.setRangeText(text, start, area.selectionEnd, 'end');
  };
  const replaceLine = (line, replacement) => {
    const area = el.markdown;
    const at = area.value.indexOf(line);
    if (at < 0) {
      return false;
    }
    // removing the line takes its line break along
    const end = !replacement && area.value.charAt(at + line.length) === '\n' ? at + line.length + 1 : at + line.length;
    area.setRangeText(replacement, at, end, 'preserve');
    return true;
  };
  const uploadIntoText = async (file) => {
    const name = file.name || 'image';
    const placeholder = '![Uploading ' + name.replace(/[[\]]/g, '') + '…]()';
    insertLine(placeholder);
    markdownEdited();
    uploadState.textContent = 'Uploading ' + name + '…';
    state.uploads += 1;
    let image = null;
    try {
      image = await uploadImage(file);
    } catch (error) {
      state.uploads -= 1;
      replaceLine(placeholder, '');
      markdownEdited();
      uploadState.textContent = '';
      showEditorError(failure(error.status, name + ': ' + error.message));
      return;
    }
    state.uploads -= 1;
    const markdown = '![' + altFromName(name) + '](' + image.url + ')';
    // a placeholder the writer deleted meanwhile means they no longer want the image here
    if (replaceLine(placeholder, markdown)) {
      markdownEdited();
    }
    uploadState.textContent = 'Added ' + name + ' to the text.';
  };
  const uploadAllIntoText = (files) => {
    el.error.hidden = true;
    files.forEach(uploadIntoText);
  };
  filePicker($('#add-image'), $('#markdown-file'), (files) => {
    el.markdown.focus();
    uploadAllIntoText(files);
  });
  dropTarget(el.markdown, (files) => {
    el.markdown.focus();
    uploadAllIntoText(files);
  });
  el.markdown.addEventListener('paste', (event) => {
    const files = filesOf(event.clipboardData).filter((file) => IMAGE_TYPES.includes(file.type) || file.type === 'image/svg+xml');
    if (!files.length) {
      return;
    }
    event.preventDefault();
    uploadAllIntoText(files);
  });
  const renderFeature = setupImageField($('.image-upload', el.settings), changed);
  Object.assign(ed, { renderFeature });
};
