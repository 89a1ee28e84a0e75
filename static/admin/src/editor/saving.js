// Saving: autosave of drafts, the save and publish buttons, one save after another, the
// conflict banner, and work kept across a lost session.

const editorSaving = (ed) => {
  const { kind, canPublish, el, state, fields, same, dirty } = ed;
  const { setSaveState, updateSaveState, clearEditorErrors, showEditorError } = ed;
  const { renderStatus, renderTags, refreshPreview } = ed;
  const loadRevisions = later(ed, 'loadRevisions');

  let autosaveTimer = null;
  const AUTOSAVE_MS = 3000;
  const changed = () => {
    updateSaveState();
    clearTimeout(autosaveTimer);
    if (state.status === 'draft' && !state.conflict && canEdit()) {
      autosaveTimer = setTimeout(() => save('autosave'), AUTOSAVE_MS);
    }
  };
  const canEdit = () => canPublish || state.status === 'draft';

  const showConflict = (message, focus) => {
    state.conflict = true;
    clearTimeout(autosaveTimer);
    el.conflictMessage.textContent = message;
    el.conflict.hidden = false;
    setSaveState('Not saved: this ' + kind + ' changed elsewhere', 'failed');
    if (focus) {
      $('#copy-mine').focus();
    }
  };

  const hideConflict = () => {
    state.conflict = false;
    el.conflict.hidden = true;
  };

  const payloadFor = (snap, action) => {
    const payload = {
      title: snap.title,
      markdown: snap.markdown,
      tags: snap.tags,
      excerpt: snap.excerpt,
      feature_image: snap.feature_image,
      feature_image_alt: snap.feature_image_alt,
      feature_image_caption: snap.feature_image_caption,
      featured: snap.featured,
      meta_title: snap.meta_title,
      meta_description: snap.meta_description,
      canonical_url: snap.canonical_url,
    };
    // a new post's slug comes from its title on the server, which keeps it free; a draft's
    // follows the title until it is edited by hand
    const sendSlug = snap.slug && (state.id ? !state.slugAuto || state.status === 'draft' : !state.slugAuto);
    if (sendSlug) {
      payload.slug = snap.slug;
    }
    if (state.dateTouched) {
      payload.published_at = fromLocalInput(snap.published_at);
    }
    const status = { publish: 'published', schedule: 'scheduled', unpublish: 'draft' }[action];
    if (status) {
      payload.status = status;
    }
    if (action === 'publish' && state.status === 'scheduled') {
      payload.published_at = new Date().toISOString();
    }
    if (action === 'schedule') {
      payload.published_at = fromLocalInput(snap.published_at);
    }
    if (state.id) {
      payload.version = state.version;
      return payload;
    }
    payload.type = kind;
    return payload;
  };

  const savedText = (post, action) => {
    const at = clock(new Date());
    if (post.status === 'scheduled' && action !== 'autosave') {
      return 'Scheduled for ' + dateTime(post.published_at);
    }
    if (action === 'publish') {
      return 'Published at ' + at;
    }
    if (action === 'unpublish') {
      return 'Unpublished; saved as a draft at ' + at;
    }
    return (action === 'autosave' ? 'Saved automatically at ' : 'Saved at ') + at;
  };

  // The server's answer to a save. The editor keeps whatever was typed while the request
  // was out; only what the server decided (slug, date, version) is taken over.
  const applySaved = (post, snap, action) => {
    const created = !state.id;
    state.id = post.id;
    state.post = post;
    state.version = post.version;
    state.status = post.status;
    const saved = Object.assign({}, snap);
    if (el.slug.value.trim() === snap.slug && document.activeElement !== el.slug) {
      el.slug.value = post.slug;
      saved.slug = post.slug;
    }
    if (state.slugAuto && post.slug !== slugify(snap.title)) {
      // the server chose another slug (the first was taken): stop following the title
      state.slugAuto = false;
    }
    if (el.publishedAt.value === snap.published_at) {
      el.publishedAt.value = toLocalInput(post.published_at);
      saved.published_at = el.publishedAt.value;
      state.dateTouched = false;
    }
    state.saved = saved;
    state.savedMessage = savedText(post, action);
    if (created) {
      history.replaceState(null, '', '/admin/editor/' + post.id + '/');
      try {
        sessionStorage.removeItem(stashKey(null));
      } catch (e) {
        // storage may be disabled; nothing to clean then
      }
    }
    renderStatus();
    updateSaveState();
    if (action === 'publish' && post.status === 'published') {
      toast('Published. It is live at ' + post.url);
    }
    if ($('#revisions').open) {
      loadRevisions();
    }
  };

  const saveNow = async (action) => {
    if (action === 'autosave' && (state.conflict || state.status !== 'draft' || !dirty())) {
      return false;
    }
    const snap = fields();
    if (!state.id && action === 'autosave' && !snap.title.trim() && !snap.markdown.trim()) {
      return false;
    }
    if (action === 'schedule') {
      const at = fromLocalInput(snap.published_at);
      if (!at || new Date(at) <= new Date()) {
        clearEditorErrors();
        showEditorError(failure(422, 'Choose a date in the future to schedule.', 'published_at'), true);
        return false;
      }
    }
    const payload = payloadFor(snap, action);
    const autoSlug = 'slug' in payload && state.slugAuto;
    clearTimeout(autosaveTimer);
    setSaveState('Saving…', '');
    let post = null;
    try {
      post = state.id
        ? await api('PUT', '/posts/' + state.id, payload)
        : await api('POST', '/posts', payload);
    } catch (error) {
      if (autoSlug && error.status === 422 && error.field === 'slug') {
        // the title's slug is taken: keep the current one and save again
        state.slugAuto = false;
        el.slug.value = state.post ? state.post.slug : '';
        return saveNow(action);
      }
      if (error.status === 409) {
        showConflict(error.message, action !== 'autosave');
        return false;
      }
      if (error.status !== 401) {
        clearEditorErrors();
        showEditorError(error, action !== 'autosave');
        setSaveState('Not saved: ' + error.message, 'failed');
      }
      return false;
    }
    clearEditorErrors();
    applySaved(post, snap, action);
    return true;
  };

  // Saves run one after another, each with the version the previous one answered.
  let queue = Promise.resolve();
  const save = (action) => {
    state.pending += 1;
    const run = queue.then(() => saveNow(action));
    queue = run.catch(() => false).then(() => {
      state.pending -= 1;
    });
    return run;
  };

  const actionButton = (button, action) => {
    if (!button) {
      return;
    }
    button.addEventListener('click', () => busy(button, () => save(action)));
  };
  actionButton(el.save, 'save');
  actionButton(el.publish, 'publish');
  actionButton(el.schedule, 'schedule');
  actionButton(el.unpublish, 'unpublish');

  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      if (canEdit()) {
        save('save');
      }
    }
  });

  window.addEventListener('beforeunload', (event) => {
    if (navigating || !hooks.unsaved()) {
      return;
    }
    event.preventDefault();
    event.returnValue = '';
  });

  // Work typed when the session ended is kept in this tab until the editor opens again.
  const stashKey = (id) => 'quire-unsaved:' + (id || 'new-' + kind);
  hooks.beforeSignIn = () => {
    if (!dirty()) {
      return;
    }
    try {
      sessionStorage.setItem(
        stashKey(state.id),
        JSON.stringify({ fields: fields(), version: state.version, tags: state.tags }),
      );
    } catch (e) {
      // storage may be full or disabled; the browser still asks before leaving
    }
  };
  const restoreStash = () => {
    let stash = null;
    try {
      const raw = sessionStorage.getItem(stashKey(state.id));
      sessionStorage.removeItem(stashKey(state.id));
      stash = raw ? JSON.parse(raw) : null;
    } catch (e) {
      stash = null;
    }
    if (!stash || same(stash.fields, state.saved)) {
      return;
    }
    const f = stash.fields;
    el.title.value = f.title;
    el.markdown.value = f.markdown;
    el.slug.value = f.slug;
    el.excerpt.value = f.excerpt;
    el.featureImage.value = f.feature_image;
    el.featureImageAlt.value = f.feature_image_alt || '';
    el.featureImageCaption.value = f.feature_image_caption || '';
    el.featured.checked = Boolean(f.featured);
    el.metaTitle.value = f.meta_title;
    el.metaDescription.value = f.meta_description;
    el.canonicalUrl.value = f.canonical_url;
    el.publishedAt.value = f.published_at;
    state.tags = f.tags;
    // saving it must still be refused if someone else saved meanwhile
    if (stash.version !== null) {
      state.version = stash.version;
    }
    renderTags();
    el.notice.textContent = 'Your changes from before you were signed out are back. Save them when ready.';
    el.notice.hidden = false;
    refreshPreview();
    changed();
  };

  Object.assign(ed, { changed, showConflict, hideConflict, restoreStash });
};
