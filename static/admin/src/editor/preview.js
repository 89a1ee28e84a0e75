// The preview beside the text: the Markdown rendered by the server, and its counts.

const editorPreview = (ed) => {
  const { el, counts } = ed;

  let previewSeq = 0;
  const refreshPreview = async () => {
    previewSeq += 1;
    const mine = previewSeq;
    let result = null;
    try {
      result = await api('POST', '/preview', { markdown: el.markdown.value });
    } catch (error) {
      if (mine === previewSeq && error.status !== 401) {
        el.counts.textContent = 'Preview unavailable: ' + error.message;
      }
      return;
    }
    if (mine !== previewSeq) {
      return;
    }
    showHtml(el.preview, result.html);
    el.counts.textContent = counts(result.word_count, result.reading_time);
  };
  Object.assign(ed, { refreshPreview });
};
