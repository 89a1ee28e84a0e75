// The revisions: the list, and restoring one.

const editorRevisions = (ed) => {
  const { state, dirty, fill, showConflict, hideConflict, showEditorError, updateSaveState } = ed;

  const REASONS = {
    save: 'saved',
    publish: 'published',
    schedule: 'scheduled',
    unpublish: 'unpublished',
    conflict: 'not saved (conflict)',
    create: 'created',
    restore: 'restored',
  };
  const restore = async (revision) => {
    const question = dirty()
      ? 'Version ' + revision.version + ' replaces the title and text in the editor, and your unsaved changes are lost.'
      : 'Version ' + revision.version + ' becomes the current title and text. The current version stays in the revisions.';
    if (!(await confirmDialog('Restore version ' + revision.version + '?', question, 'Restore'))) {
      return;
    }
    let post = null;
    try {
      post = await api('POST', '/posts/' + state.id + '/revisions/' + revision.id + '/restore', {
        version: state.version,
      });
    } catch (error) {
      if (error.status === 409) {
        showConflict(error.message, true);
        return;
      }
      showEditorError(error, false);
      return;
    }
    hideConflict();
    fill(post);
    state.savedMessage = 'Restored version ' + revision.version + ' at ' + clock(new Date());
    updateSaveState();
    loadRevisions();
  };
  const loadRevisions = async () => {
    const list = $('#revision-list');
    if (!state.id) {
      return;
    }
    let revisions = [];
    try {
      revisions = await api('GET', '/posts/' + state.id + '/revisions');
    } catch (error) {
      list.replaceChildren(h('li', { text: error.message }));
      return;
    }
    if (!revisions.length) {
      list.replaceChildren(h('li', { text: 'No revisions yet.' }));
      return;
    }
    list.replaceChildren(
      ...revisions.map((revision) =>
        h('li', {}, [
          h('span', {
            text:
              'Version ' + revision.version + ', ' + (REASONS[revision.reason] || revision.reason) +
              ' by ' + (revision.author_name || 'someone') + ', ' + dateTime(revision.created_at),
          }),
          h('button', {
            type: 'button',
            class: 'button small',
            text: 'Restore',
            'aria-label': 'Restore version ' + revision.version + ' of ' + dateTime(revision.created_at),
            onclick: () => restore(revision),
          }),
        ]),
      ),
    );
  };
  $('#revisions').addEventListener('toggle', () => {
    if ($('#revisions').open) {
      loadRevisions();
    }
  });
  Object.assign(ed, { loadRevisions });
};
