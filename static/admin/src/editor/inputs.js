// The inputs: the title and the slug that follows it, the text, the settings panel's fields,
// tags, and the write and preview views.

const editorInputs = (ed) => {
  const { canPublish, el, state, changed, refreshPreview } = ed;
  const { setPanel, showEditorError, renderSlugHint, renderTags } = ed;
  let previewTimer = null;

  el.title.addEventListener('input', () => {
    if (state.slugAuto) {
      el.slug.value = el.title.value.trim() ? slugify(el.title.value) : '';
    }
    changed();
  });
  el.title.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      el.markdown.focus();
    }
  });
  el.markdown.addEventListener('input', () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 300);
    changed();
  });

  el.slug.addEventListener('input', () => {
    state.slugAuto = el.slug.value.trim() === '';
    renderSlugHint();
    changed();
  });
  el.publishedAt.addEventListener('input', () => {
    state.dateTouched = true;
    changed();
  });
  [el.excerpt, el.featureImage, el.metaTitle, el.metaDescription, el.canonicalUrl].forEach((input) =>
    input.addEventListener('input', changed),
  );

  const addTag = (raw) => {
    const name = raw.replace(/,/g, ' ').trim();
    if (!name) {
      return;
    }
    const known = state.knownTags.find((t) => t.name.toLowerCase() === name.toLowerCase());
    const chosen = known ? known.name : name;
    el.tagInput.value = '';
    if (state.tags.some((t) => t.toLowerCase() === chosen.toLowerCase())) {
      return;
    }
    if (!known && !canPublish) {
      showEditorError(failure(403, 'Contributors can pick existing tags only.', 'tags'), true);
      return;
    }
    state.tags.push(chosen);
    renderTags();
    changed();
  };
  el.tagInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      addTag(el.tagInput.value);
      return;
    }
    if (event.key === 'Backspace' && el.tagInput.value === '' && state.tags.length) {
      state.tags.pop();
      renderTags();
      changed();
    }
  });
  // picking a suggestion from the list adds it at once
  el.tagInput.addEventListener('input', (event) => {
    const exact = state.knownTags.some((t) => t.name === el.tagInput.value);
    if (exact && (!event.inputType || event.inputType === 'insertReplacementText')) {
      addTag(el.tagInput.value);
    }
  });

  el.settingsToggle.addEventListener('click', () => {
    const open = el.settings.hidden;
    setPanel(open);
    if (open) {
      el.slug.focus();
    }
  });

  const setView = (view) => {
    $('#panes').dataset.view = view;
    $('#show-write').setAttribute('aria-pressed', String(view === 'write'));
    $('#show-preview').setAttribute('aria-pressed', String(view === 'preview'));
  };
  $('#show-write').addEventListener('click', () => setView('write'));
  $('#show-preview').addEventListener('click', () => {
    setView('preview');
    refreshPreview();
  });
};
