// The editor of a post or a page. Its parts, each in editor/, wire one concern into the page:
// the post on screen, the preview, saving, images in the text, the inputs, conflicts, the
// revisions, the links and deleting, and the post on the fediverse. They share one object,
// `ed`: the state part makes it, and each part takes from it what the parts before it added,
// then adds what it makes.

// A function a later part adds to `ed`, looked up when called.
const later = (ed, name) => (...args) => ed[name](...args);

const setupEditor = async () => {
  const ed = editorState();
  editorPreview(ed);
  editorSaving(ed);
  editorImages(ed);
  editorInputs(ed);
  editorConflict(ed);
  editorRevisions(ed);
  editorSchedule(ed);
  editorLinks(ed);
  editorFediverse(ed);

  // --- Start ---
  const { el, state, fields, fill, renderStatus, renderTags, updateSaveState, restoreStash, renderFeature } = ed;
  if (state.id) {
    fill(await api('GET', '/posts/' + state.id));
    state.savedMessage = 'Last saved ' + dateTime(state.post.updated_at);
  }
  if (!state.id) {
    state.saved = fields();
    renderStatus();
  }
  restoreStash();
  renderFeature();
  updateSaveState();
  api('GET', '/tags').then(
    (tags) => {
      state.knownTags = tags;
      el.tagOptions.replaceChildren(...tags.map((tag) => h('option', { value: tag.name })));
      renderTags();
    },
    () => {
      // without suggestions, tags can still be typed
    },
  );
  if (!state.id) {
    el.title.focus();
  }
};
