// The editor of a post or a page.

const setupEditor = async () => {
  const root = $('#editor');
  const kind = root.dataset.kind;
  const canPublish = body.dataset.canPublish === 'true';
  const el = {
    title: $('#title'),
    markdown: $('#markdown'),
    preview: $('#preview'),
    counts: $('#counts'),
    slug: $('#slug'),
    publishedAt: $('#published-at'),
    tagInput: $('#tag-input'),
    tagList: $('#tag-list'),
    tagOptions: $('#tag-options'),
    excerpt: $('#excerpt'),
    featureImage: $('#feature-image'),
    metaTitle: $('#meta-title'),
    metaDescription: $('#meta-description'),
    canonicalUrl: $('#canonical-url'),
    saveState: $('#save-state'),
    badge: $('#post-status'),
    save: $('#save'),
    publish: $('#publish'),
    schedule: $('#schedule'),
    unpublish: $('#unpublish'),
    conflict: $('#conflict'),
    conflictMessage: $('#conflict-message'),
    error: $('#editor-error'),
    notice: $('#editor-notice'),
    settings: $('#settings'),
    settingsToggle: $('#settings-toggle'),
  };
  // API field → the input that edits it
  const inputs = {
    title: el.title,
    markdown: el.markdown,
    slug: el.slug,
    published_at: el.publishedAt,
    tags: el.tagInput,
    excerpt: el.excerpt,
    feature_image: el.featureImage,
    meta_title: el.metaTitle,
    meta_description: el.metaDescription,
    canonical_url: el.canonicalUrl,
  };
  const state = {
    id: root.dataset.postId || null,
    version: null,
    status: 'draft',
    post: null,
    saved: null,
    tags: [],
    knownTags: [],
    slugAuto: true,
    dateTouched: false,
    conflict: false,
    pending: 0,
    uploads: 0,
    savedMessage: '',
  };

  // What the editor holds, in the shape that is compared to tell unsaved changes.
  const fields = () => ({
    title: el.title.value,
    markdown: el.markdown.value,
    slug: el.slug.value.trim(),
    tags: state.tags.slice(),
    excerpt: el.excerpt.value,
    feature_image: el.featureImage.value.trim(),
    meta_title: el.metaTitle.value,
    meta_description: el.metaDescription.value,
    canonical_url: el.canonicalUrl.value.trim(),
    published_at: el.publishedAt.value,
  });
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const dirty = () => state.saved !== null && !same(fields(), state.saved);
  hooks.unsaved = () => dirty() || state.pending > 0 || state.uploads > 0;

  const setSaveState = (text, tone) => {
    el.saveState.textContent = text;
    el.saveState.className = 'save-state' + (tone ? ' ' + tone : '');
  };
  const updateSaveState = () => {
    if (state.conflict) {
      return;
    }
    if (dirty()) {
      setSaveState('Unsaved changes', 'unsaved');
      return;
    }
    setSaveState(state.savedMessage, '');
  };

  const setPanel = (open) => {
    el.settings.hidden = !open;
    el.settingsToggle.setAttribute('aria-expanded', String(open));
  };

  const clearEditorErrors = () => {
    clearErrors(el.settings);
    el.error.hidden = true;
    el.error.textContent = '';
    el.title.removeAttribute('aria-invalid');
  };

  const showEditorError = (error, focus) => {
    const input = error.field ? inputs[error.field] : null;
    el.error.textContent = error.message;
    el.error.hidden = false;
    if (!input) {
      return;
    }
    input.setAttribute('aria-invalid', 'true');
    const fieldError = document.getElementById(input.id + '-error');
    if (fieldError) {
      fieldError.textContent = error.message;
      fieldError.hidden = false;
    }
    if (el.settings.contains(input)) {
      setPanel(true);
    }
    if (focus) {
      input.focus();
    }
  };

  const renderSlugHint = () => {
    $('#slug-hint').textContent = state.slugAuto
      ? 'Follows the title until you change it.'
      : 'The address of this ' + kind + ' on your site.';
  };

  const renderStatus = () => {
    renderSlugHint();
    const status = state.status;
    el.badge.textContent = STATUS_LABELS[status];
    el.badge.className = 'badge badge-' + status;
    el.save.textContent = status === 'draft' ? 'Save draft' : 'Update';
    if (el.publish) {
      el.publish.hidden = status === 'published';
      el.publish.textContent = status === 'scheduled' ? 'Publish now' : 'Publish';
      el.schedule.hidden = status !== 'draft';
      el.unpublish.hidden = status === 'draft';
      el.unpublish.textContent = status === 'scheduled' ? 'Unschedule' : 'Unpublish';
    }
    const post = state.post;
    $('#links').hidden = !post;
    $('#revisions').hidden = !post;
    $('#danger-zone').hidden = !post;
    if (post) {
      const view = $('#view-link');
      view.hidden = post.status !== 'published';
      view.href = post.url;
      $('#preview-link').href = post.preview_url;
      $('#preview-url').value = post.preview_url;
    }
    // Contributors write drafts; once a post is out, an editor changes it
    const locked = !canPublish && status !== 'draft';
    el.save.disabled = locked;
    el.notice.hidden = !locked;
    if (locked) {
      el.notice.textContent =
        'This ' + kind + ' is ' + STATUS_LABELS[status].toLowerCase() + '. Only an author, editor or administrator can change it now.';
    }
  };

  const renderTags = () => {
    const known = (name) => state.knownTags.some((t) => t.name.toLowerCase() === name.toLowerCase());
    el.tagList.replaceChildren(
      ...state.tags.map((name) =>
        h('li', { class: known(name) ? 'chip' : 'chip new' }, [
          h('span', { text: name }),
          known(name) ? null : h('span', { class: 'visually-hidden', text: ' (new tag)' }),
          h('button', {
            type: 'button',
            'aria-label': 'Remove tag ' + name,
            text: '×',
            onclick: () => {
              state.tags = state.tags.filter((t) => t !== name);
              renderTags();
              el.tagInput.focus();
              changed();
            },
          }),
        ]),
      ),
    );
  };

  const counts = (words, minutes) => plural(words, 'word', 'words') + ' · ' + minutes + ' min read';

  // Puts a post from the server into the editor: on load, after "Load the latest version"
  // and after restoring a revision, never on its own.
  const fill = (post) => {
    state.id = post.id;
    state.post = post;
    state.version = post.version;
    state.status = post.status;
    el.title.value = post.title === '(Untitled)' ? '' : post.title;
    el.markdown.value = post.markdown;
    el.slug.value = post.slug;
    el.publishedAt.value = toLocalInput(post.published_at);
    el.excerpt.value = post.custom_excerpt || '';
    el.featureImage.value = post.feature_image || '';
    el.metaTitle.value = post.meta_title || '';
    el.metaDescription.value = post.meta_description || '';
    el.canonicalUrl.value = post.canonical_url || '';
    state.tags = post.tags.map((t) => t.name);
    state.slugAuto = post.status === 'draft' && (post.slug === slugify(post.title) || post.title === '(Untitled)');
    state.dateTouched = false;
    state.saved = fields();
    showHtml(el.preview, post.html);
    el.counts.textContent = counts(post.word_count, post.reading_time);
    renderTags();
    renderStatus();
    renderFeature();
  };

  // --- Preview ---
  let previewTimer = null;
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

  // --- Saving ---
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

  // --- Inputs ---
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

  // --- Images in the text ---
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

  // --- Conflict ---
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

  // --- Revisions ---
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

  // --- Links and deleting ---
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

  // --- Start ---
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
