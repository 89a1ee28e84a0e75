// The preview link, and deleting the post.

const editorLinks = (ed) => {
  const { kind, el, state, showEditorError } = ed;

  $('#copy-preview').addEventListener('click', () => {
    if (state.post) {
      copyText(state.post.preview_url, $('#preview-url'));
    }
  });
  $('#delete').addEventListener('click', async () => {
    const name = el.title.value.trim() || 'this ' + kind;
    const sure = await confirmDialog(
      'Delete this ' + kind + '?',
      '“' + name + '” and its revisions will be deleted for good. This cannot be undone.',
      'Delete',
    );
    if (!sure) {
      return;
    }
    try {
      await api('DELETE', '/posts/' + state.id);
    } catch (error) {
      showEditorError(error, false);
      return;
    }
    go('/admin/' + kind + 's/');
  });
};
