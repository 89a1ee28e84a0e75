// The editor's elements and state, what it holds against what was saved, its messages, and
// what puts a post on screen. Makes the `ed` the other parts share.

const editorState = () => {
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
    featureImageAlt: $('#feature-image-alt'),
    featureImageCaption: $('#feature-image-caption'),
    featured: $('#featured'),
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
    feature_image_alt: el.featureImageAlt,
    feature_image_caption: el.featureImageCaption,
    featured: el.featured,
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
    feature_image_alt: el.featureImageAlt.value,
    feature_image_caption: el.featureImageCaption.value,
    featured: el.featured.checked,
    meta_title: el.metaTitle.value,
    meta_description: el.metaDescription.value,
    canonical_url: el.canonicalUrl.value.trim(),
    published_at: el.publishedAt.value,
  });
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const dirty = () => state.saved !== null && !same(fields(), state.saved);
  hooks.unsaved = () => dirty() || state.pending > 0 || state.uploads > 0;
  const ed = { kind, canPublish, el, state, fields, same, dirty };
  const changed = later(ed, 'changed');
  const renderFeature = later(ed, 'renderFeature');
  const watchSchedule = later(ed, 'watchSchedule');
  const watchFediverse = later(ed, 'watchFediverse');

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
    markInvalid(input, error.message);
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
    watchSchedule();
    watchFediverse();
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
    el.featureImageAlt.value = post.feature_image_alt || '';
    el.featureImageCaption.value = post.feature_image_caption || '';
    el.featured.checked = post.featured;
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

  return Object.assign(ed, {
    setSaveState,
    updateSaveState,
    setPanel,
    clearEditorErrors,
    showEditorError,
    renderSlugHint,
    renderStatus,
    renderTags,
    counts,
    fill,
  });
};
