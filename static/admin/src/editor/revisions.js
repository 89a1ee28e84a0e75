// The revisions: the list, a revision looked at before it is restored (what it changes in the
// text and the fields, and how readers would see it), and restoring it.

const editorRevisions = (ed) => {
  const { el, state, dirty, fill, showConflict, hideConflict, showEditorError, updateSaveState } = ed;
  const { canPublish } = ed;

  const REASONS = {
    save: 'Saved',
    publish: 'Published',
    schedule: 'Scheduled',
    unpublish: 'Unpublished',
    conflict: 'Not saved: an edit refused in a conflict',
    create: 'Created',
    restore: 'Restored from an earlier revision',
    import: 'Imported',
  };
  const describe = (revision) =>
    (REASONS[revision.reason] || revision.reason) + ' by ' + (revision.author_name || 'someone') + ', ' +
    dateTime(revision.saved_at);

  const dialog = $('#revision-dialog');
  const restoreButton = $('#revision-restore');
  let shown = null;
  let opener = null;

  const showView = (view) => {
    $('#revision-changes').hidden = view !== 'changes';
    $('#revision-rendered').hidden = view !== 'rendered';
    $('#revision-show-changes').setAttribute('aria-pressed', String(view === 'changes'));
    $('#revision-show-rendered').setAttribute('aria-pressed', String(view === 'rendered'));
  };
  $('#revision-show-changes').addEventListener('click', () => showView('changes'));
  $('#revision-show-rendered').addEventListener('click', () => showView('rendered'));

  // The text's changes, line by line: what goes (marked "removed") and what comes back
  // ("added"), with a little context; not colour alone.
  const renderDiff = (groups) => {
    const box = $('#revision-diff');
    if (!groups.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'The text is the same as now.' }));
      return;
    }
    const line = (l) => {
      const sign = { insert: '+ ', delete: '− ', equal: '  ' }[l.tag];
      const word = { insert: 'added: ', delete: 'removed: ', equal: '' }[l.tag];
      return h('span', { class: 'diff-line diff-' + l.tag }, [
        h('span', { class: 'diff-sign', 'aria-hidden': 'true', text: sign }),
        word ? h('span', { class: 'visually-hidden', text: word }) : null,
        document.createTextNode(l.text + '\n'),
      ]);
    };
    box.replaceChildren(
      h('h3', { class: 'pane-label', text: 'Text: from now to this revision' }),
      ...groups.map((group) => h('pre', { class: 'diff' }, group.map(line))),
    );
  };
  const renderFields = (changes) => {
    const table = $('#revision-fields');
    table.hidden = !changes.length;
    const shownValue = (v) => v || '(empty)';
    $('tbody', table).replaceChildren(
      ...changes.map((c) =>
        h('tr', {}, [
          h('th', { scope: 'row', text: c.field }),
          h('td', { text: shownValue(c.current) }),
          h('td', { text: shownValue(c.revision) }),
        ]),
      ),
    );
  };

  const look = async (summary, current, button) => {
    let revision = null;
    try {
      revision = await api('GET', '/posts/' + state.id + '/revisions/' + summary.id);
    } catch (error) {
      showEditorError(error, false);
      return;
    }
    shown = revision;
    opener = button;
    $('#revision-title').textContent = current ? 'The current version' : describe(revision);
    $('#revision-meta').textContent =
      revision.title + ' · ' + plural(revision.word_count, 'word', 'words') +
      (revision.fields ? '' : ' · kept its title and text only');
    const warnings = [];
    if (revision.live && !current) {
      warnings.push('This ' + ed.kind + ' is live: restoring changes what readers see at ' + revision.url + ' at once.');
    }
    if (dirty() && !current) {
      warnings.push('Your unsaved changes in the editor are replaced.');
    }
    $('#revision-live').textContent = warnings.join(' ');
    $('#revision-live').hidden = !warnings.length;
    renderFields(revision.changes);
    renderDiff(revision.diff);
    showHtml($('#revision-rendered'), revision.html);
    showView('changes');
    restoreButton.hidden = current || !(canPublish || state.status === 'draft');
    restoreButton.textContent = revision.live ? 'Restore and update the live ' + ed.kind : 'Restore this revision';
    dialog.showModal();
    $('#revision-close').focus();
  };
  $('#revision-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    if (opener && opener.isConnected) {
      opener.focus();
    }
  });

  restoreButton.addEventListener('click', () =>
    busy(restoreButton, async () => {
      const revision = shown;
      let post = null;
      try {
        post = await api('POST', '/posts/' + state.id + '/revisions/' + revision.id + '/restore', {
          version: state.version,
        });
      } catch (error) {
        dialog.close();
        if (error.status === 409) {
          showConflict(error.message, true);
          return;
        }
        showEditorError(error, false);
        return;
      }
      opener = el.save;
      dialog.close();
      hideConflict();
      fill(post);
      state.savedMessage = 'Restored the revision of ' + dateTime(revision.saved_at);
      updateSaveState();
      if (post.status === 'published') {
        toast('Restored. Readers see it now at ' + post.url);
      }
      loadRevisions();
    }),
  );

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
    // the newest saved revision is what the post holds now
    const currentId = (revisions.find((r) => r.reason !== 'conflict') || {}).id;
    list.replaceChildren(
      ...revisions.map((revision) => {
        const current = revision.id === currentId;
        const text = describe(revision);
        const button = h('button', {
          type: 'button',
          class: 'button small',
          text: current ? 'Look' : 'Look and restore',
        });
        button.setAttribute('aria-label', (current ? 'Look at ' : 'Look and restore: ') + text);
        button.addEventListener('click', () => look(revision, current, button));
        return h('li', { class: revision.reason === 'conflict' ? 'revision conflict' : 'revision' }, [
          h('span', { text }),
          current ? h('span', { class: 'badge', text: 'Current' }) : null,
          button,
        ]);
      }),
    );
  };
  $('#revisions').addEventListener('toggle', () => {
    if ($('#revisions').open) {
      loadRevisions();
    }
  });
  Object.assign(ed, { loadRevisions });
};
