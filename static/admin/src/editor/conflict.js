// The conflict banner's way out: copy one's own text, or load the latest version.

const editorConflict = (ed) => {
  const { el, state, fill, hideConflict, showEditorError, updateSaveState } = ed;

  $('#copy-mine').addEventListener('click', () => {
    const title = el.title.value.trim();
    copyText((title ? '# ' + title + '\n\n' : '') + el.markdown.value, el.markdown);
  });
  $('#load-latest').addEventListener('click', async () => {
    let post = null;
    try {
      post = await api('GET', '/posts/' + state.id);
    } catch (error) {
      showEditorError(error, false);
      return;
    }
    hideConflict();
    fill(post);
    state.savedMessage = 'Loaded the version saved at ' + clock(new Date(post.updated_at));
    updateSaveState();
    toast('Loaded the latest version. Your text is kept in the revisions.');
    el.markdown.focus();
  });
};
