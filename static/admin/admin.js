// Quire admin: shared helpers, then one setup function per page (<body data-page="...">).
// Every change goes through the JSON API under /admin/api/ with the session's CSRF token;
// the server renders only the page shells. Text always enters the page as text (textContent,
// attributes); the one exception is the preview, which is HTML sanitised by the site's own
// Markdown renderer.
//
// The build minifies this file with minify-js, which mishandles `this` inside `function`
// declarations and some `if … else` statements: the code below uses arrow functions, and
// early returns or conditional expressions instead of `else`.

(() => {
  const body = document.body;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const field = (form, name) => form.elements.namedItem(name);

  const csrfMeta = $('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';

  // Our own navigations (after deleting, signing out, losing the session) skip the
  // "leave this page?" question: the page has decided already.
  let navigating = false;
  const go = (url) => {
    navigating = true;
    location.assign(url);
  };

  const signInUrl = () =>
    '/admin/login/?next=' + encodeURIComponent(location.pathname + location.search);

  // Pages with unsaved work replace these: keep it before the session ends, and say
  // whether there is any.
  const hooks = {
    beforeSignIn: () => {},
    unsaved: () => false,
  };

  const capitalise = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);

  const failure = (status, message, fieldName) => {
    const error = new Error(message);
    error.status = status;
    error.field = fieldName || null;
    return error;
  };

  // Calls the API; answers the JSON body, or throws an Error with `status`, `field` and the
  // API's message. A 401 means the session has ended: off to the sign-in page, unless the
  // call is one of the signed-out pages' own.
  const api = async (method, path, payload, options) => {
    const opts = options || {};
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    // a FormData body (an upload) sets its own multipart Content-Type
    const form = payload instanceof FormData;
    if (payload !== undefined) {
      init.body = form ? payload : JSON.stringify(payload);
    }
    if (payload !== undefined && !form) {
      headers['Content-Type'] = 'application/json';
    }
    if (csrfToken) {
      headers['X-CSRF-Token'] = csrfToken;
    }
    let response = null;
    try {
      response = await fetch('/admin/api' + path, init);
    } catch (e) {
      throw failure(0, 'Cannot reach the server. Check your connection and try again.');
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (response.ok) {
      return data;
    }
    const error = data && data.error ? data.error : {};
    const message = capitalise(error.message || 'The server answered ' + response.status + '.');
    if (response.status === 401 && !opts.signedOut) {
      hooks.beforeSignIn();
      go(signInUrl());
    }
    throw failure(response.status, message, error.field);
  };

  const setAttr = (el, name, value) => {
    if (value === null || value === undefined || value === false) {
      return;
    }
    if (name === 'text') {
      el.textContent = value;
      return;
    }
    if (name.startsWith('on')) {
      el.addEventListener(name.slice(2), value);
      return;
    }
    el.setAttribute(name, value === true ? '' : String(value));
  };

  // Builds an element: `text` and string children go in as text, never as HTML.
  const h = (tag, attrs, children) => {
    const el = document.createElement(tag);
    const given = attrs || {};
    Object.keys(given).forEach((name) => setAttr(el, name, given[name]));
    (children || []).forEach((child) => {
      if (child === null || child === undefined || child === false) {
        return;
      }
      el.append(child);
    });
    return el;
  };

  let uid = 0;
  const nextId = (prefix) => {
    uid += 1;
    return prefix + '-' + uid;
  };

  let toastTimer = null;
  const toast = (message) => {
    const el = $('#toast');
    el.textContent = message;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      el.textContent = '';
    }, 6000);
  };

  const markReady = () => body.setAttribute('data-ready', 'true');

  const pad = (n) => String(n).padStart(2, '0');
  const clock = (date) => date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const dateTime = (iso) =>
    iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : '';
  const dateOnly = (iso) => (iso ? new Date(iso).toLocaleDateString([], { dateStyle: 'medium' }) : '');
  // <input type="datetime-local"> speaks the browser's local time, the API RFC 3339
  const toLocalInput = (iso) => {
    if (!iso) {
      return '';
    }
    const d = new Date(iso);
    return (
      d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) +
      'T' + pad(d.getHours()) + ':' + pad(d.getMinutes())
    );
  };
  const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);

  const STATUS_LABELS = { draft: 'Draft', scheduled: 'Scheduled', published: 'Published' };
  const ROLE_LABELS = {
    owner: 'Owner',
    administrator: 'Administrator',
    editor: 'Editor',
    author: 'Author',
    contributor: 'Contributor',
  };

  // Mirrors the server's Slug::from_title closely enough to show the URL as one types.
  const RESERVED_SLUGS = [
    'admin', 'assets', 'content', 'page', 'tag', 'author', 'rss', 'feed', 'healthz', 'readyz',
    'metrics', 'sitemap', 'robots', 'api', 'p', 'favicon',
  ];
  const slugify = (title) => {
    const base = title
      .replace(/&/g, ' and ')
      .replace(/[æÆ]/g, 'ae')
      .replace(/[œŒ]/g, 'oe')
      .replace(/ß/g, 'ss')
      .replace(/[øØ]/g, 'o')
      .replace(/[łŁ]/g, 'l')
      .replace(/[đĐ]/g, 'd')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 191)
      .replace(/-+$/, '');
    if (!base) {
      return 'untitled';
    }
    return RESERVED_SLUGS.includes(base) ? base + '-post' : base;
  };

  // Puts rendered post HTML (sanitised by the server's Markdown renderer, as on the site) into
  // the preview. The page's Content-Security-Policy ignores inline style attributes, so the
  // one the renderer emits, table cell alignment, is applied through the DOM instead.
  const showHtml = (container, html) => {
    container.innerHTML = html;
    $$('th[style], td[style]', container).forEach((cell) => {
      const align = /text-align:\s*(left|center|right)/.exec(cell.getAttribute('style') || '');
      if (align) {
        cell.style.textAlign = align[1];
      }
    });
  };

  // --- Forms and errors ---

  const clearErrors = (root) => {
    $$('[aria-invalid="true"]', root).forEach((el) => el.removeAttribute('aria-invalid'));
    $$('.field-error, .form-error', root).forEach((el) => {
      el.textContent = '';
      el.hidden = true;
    });
  };

  // Shows an API error in the form's alert, and on the field it names when there is one
  // (`inputFor` maps the API's field name to an input; by default the input of that name).
  const showError = (root, error, inputFor) => {
    const lookup = inputFor || ((name) => root.querySelector('[name="' + name + '"]'));
    const input = error.field ? lookup(error.field) : null;
    const alert = $('.form-error', root);
    if (alert) {
      alert.textContent = error.message;
      alert.hidden = false;
    }
    if (!input) {
      return;
    }
    input.setAttribute('aria-invalid', 'true');
    const fieldError = document.getElementById(input.id + '-error');
    if (fieldError) {
      fieldError.textContent = error.message;
      fieldError.hidden = false;
    }
    input.focus();
  };

  // Runs `work` with `button` disabled, so a double click sends one request.
  const busy = async (button, work) => {
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
    }
    try {
      return await work();
    } finally {
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    }
  };

  // A modal question answered true or false. The native dialog keeps focus inside and
  // closes on Escape; focus goes back where it was.
  const confirmDialog = (title, message, okLabel) =>
    new Promise((resolve) => {
      const dialog = $('#confirm-dialog');
      const ok = $('#confirm-ok');
      const cancel = $('#confirm-cancel');
      const opener = document.activeElement;
      $('#confirm-title').textContent = title;
      $('#confirm-message').textContent = message;
      ok.textContent = okLabel || 'Confirm';
      let finish = null;
      const onOk = () => finish(true);
      const onCancel = () => finish(false);
      finish = (answer) => {
        ok.removeEventListener('click', onOk);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('close', onCancel);
        if (dialog.open) {
          dialog.close();
        }
        if (opener && opener.focus) {
          opener.focus();
        }
        resolve(answer);
      };
      ok.addEventListener('click', onOk);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('close', onCancel);
      dialog.showModal();
      cancel.focus();
    });

  // The clipboard API needs a secure context; elsewhere the text is selected for Ctrl+C.
  const copyText = async (text, fallbackInput) => {
    try {
      await navigator.clipboard.writeText(text);
      toast('Copied to the clipboard.');
      return true;
    } catch (e) {
      if (fallbackInput) {
        fallbackInput.focus();
        fallbackInput.select();
      }
      toast('Press Ctrl+C (or ⌘C) to copy the selected text.');
      return false;
    }
  };

  const setupSignOut = () => {
    const button = $('#sign-out');
    if (!button) {
      return;
    }
    button.addEventListener('click', async () => {
      if (
        hooks.unsaved() &&
        !(await confirmDialog('Sign out?', 'You have unsaved changes; they will be lost.', 'Sign out'))
      ) {
        return;
      }
      try {
        await api('DELETE', '/session', undefined, { signedOut: true });
      } catch (e) {
        // the session may be gone already; either way the next page asks to sign in
      }
      go('/admin/login/');
    });
  };

  // --- Images ---

  const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
  const uploadLimitMb = parseInt(body.dataset.uploadMaxMb || '0', 10);

  const formatBytes = (n) => {
    if (n >= 1024 * 1024) {
      return (n / (1024 * 1024)).toFixed(1) + ' MB';
    }
    return n >= 1024 ? Math.round(n / 1024) + ' KB' : n + ' bytes';
  };

  // The alt text of an uploaded file: its name without the extension, and without the
  // brackets that would end the Markdown image early.
  const altFromName = (name) => (name || '').replace(/\.[^.]*$/, '').replace(/[[\]]/g, '').trim() || 'Image';

  // Uploads one file; answers the API's image or throws its error. A file over the limit is
  // refused here with the server's own words, without sending megabytes for nothing; the
  // type is left to the server, which decides by content.
  const uploadImage = (file) => {
    if (uploadLimitMb > 0 && file.size > uploadLimitMb * 1024 * 1024) {
      return Promise.reject(failure(413, 'The image is larger than the ' + uploadLimitMb + ' MiB limit.', 'file'));
    }
    const form = new FormData();
    form.append('file', file, file.name || 'image');
    return api('POST', '/images', form);
  };

  // The files a drag or a paste carries (none for dragged text).
  const filesOf = (transfer) => (transfer && transfer.files ? Array.from(transfer.files) : []);
  const carriesFiles = (transfer) => !!transfer && Array.from(transfer.types || []).includes('Files');

  // Makes `zone` accept dropped files, handing them to `handle`.
  const dropTarget = (zone, handle) => {
    zone.addEventListener('dragover', (event) => {
      if (!carriesFiles(event.dataTransfer)) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      zone.classList.remove('dragging');
      const files = filesOf(event.dataTransfer);
      if (!files.length) {
        return;
      }
      event.preventDefault();
      handle(files);
    });
  };

  // A button that opens a hidden file picker; the chosen files go to `handle`.
  const filePicker = (button, input, handle) => {
    button.addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      const files = Array.from(input.files || []);
      input.value = '';
      if (files.length) {
        handle(files);
      }
    });
  };

  // The upload control of an image URL field (feature image, logo): fills the field, shows
  // a preview, and clears it with "Remove". `changed` runs after the field changes.
  const setupImageField = (box, changed) => {
    const input = document.getElementById(box.dataset.target);
    const preview = $('.image-upload-preview', box);
    const remove = $('.remove-button', box);
    const button = $('.upload-button', box);
    const status = $('.upload-status', box);
    const fieldError = document.getElementById(input.id + '-error');
    const clearFieldError = () => {
      input.removeAttribute('aria-invalid');
      if (fieldError) {
        fieldError.hidden = true;
        fieldError.textContent = '';
      }
    };
    const render = () => {
      const url = input.value.trim();
      preview.hidden = !url;
      remove.hidden = !url;
      if (url && preview.getAttribute('src') !== url) {
        preview.src = url;
      }
    };
    const upload = async (files) => {
      const file = files[0];
      clearFieldError();
      status.textContent = 'Uploading ' + file.name + '…';
      let image = null;
      try {
        image = await busy(button, () => uploadImage(file));
      } catch (error) {
        status.textContent = '';
        input.setAttribute('aria-invalid', 'true');
        if (fieldError) {
          fieldError.textContent = error.message;
          fieldError.hidden = false;
        }
        return;
      }
      input.value = image.url;
      render();
      status.textContent = 'Uploaded ' + file.name + '.';
      changed();
    };
    filePicker(button, $('.upload-file', box), upload);
    dropTarget(box, upload);
    remove.addEventListener('click', () => {
      input.value = '';
      clearFieldError();
      render();
      status.textContent = 'Removed.';
      button.focus();
      changed();
    });
    input.addEventListener('input', render);
    return render;
  };

  // --- Signed-out pages ---

  const signedOutForm = (formId, path, fieldNames, extra) => {
    const form = $(formId);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const payload = {};
      fieldNames.forEach((name) => {
        const input = field(form, name);
        payload[name] = input.type === 'password' ? input.value : input.value.trim();
      });
      const button = $('button[type="submit"]', form);
      try {
        await busy(button, () => api('POST', path(form), Object.assign(payload, extra || {}), { signedOut: true }));
      } catch (error) {
        showError(form, error);
        if (error.status === 401) {
          field(form, 'password').select();
        }
        return;
      }
      go(form.dataset.next || '/admin/posts/');
    });
    const first = $('input', form);
    if (first) {
      first.focus();
    }
  };

  const setupLogin = () => signedOutForm('#login-form', () => '/session', ['email', 'password']);

  const setupSetup = () =>
    signedOutForm('#setup-form', () => '/setup', ['blog_title', 'name', 'email', 'password']);

  const setupInvite = () =>
    signedOutForm(
      '#invite-form',
      (form) => '/invites/' + encodeURIComponent(form.dataset.token),
      ['name', 'password'],
    );

  // A reset link's page: the new password twice, then signed in. With a link that no longer
  // works the server shows why instead of the form.
  const setupReset = () => {
    const form = $('#reset-form');
    if (!form) {
      return;
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const password = field(form, 'password').value;
      if (password !== field(form, 'confirm_password').value) {
        showError(form, failure(422, 'The two passwords differ.', 'confirm_password'));
        return;
      }
      const path = '/password-resets/' + encodeURIComponent(form.dataset.token);
      try {
        await busy($('button[type="submit"]', form), () => api('POST', path, { password }, { signedOut: true }));
      } catch (error) {
        showError(form, error);
        return;
      }
      go(form.dataset.next || '/admin/posts/');
    });
    $('#password').focus();
  };

  // --- Post and page lists ---

  const setupPosts = async () => {
    const form = $('#filters');
    const kind = form.dataset.kind;
    const list = $('#post-list');
    const summary = $('#list-summary');
    const errorBox = $('#list-error');
    const pager = $('#pagination');
    const names = ['q', 'status', 'tag', 'author'];
    const params = new URLSearchParams(location.search);
    let page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);

    const tagSelect = field(form, 'tag');
    const authorSelect = field(form, 'author');
    const [tags, users] = await Promise.all([
      api('GET', '/tags'),
      authorSelect ? api('GET', '/users') : Promise.resolve([]),
    ]);
    tags.forEach((tag) => tagSelect.append(h('option', { value: tag.slug, text: tag.name })));
    users.forEach((user) => authorSelect.append(h('option', { value: user.slug, text: user.name })));
    names.forEach((name) => {
      const input = field(form, name);
      if (input && params.get(name)) {
        input.value = params.get(name);
      }
    });

    const describe = (post) => {
      const when =
        post.status === 'published'
          ? 'Published ' + dateOnly(post.published_at)
          : post.status === 'scheduled'
            ? 'Scheduled for ' + dateTime(post.published_at)
            : 'Updated ' + dateTime(post.updated_at);
      return [
        when,
        post.authors.map((a) => a.name).join(', '),
        post.tags.map((t) => t.name).join(', '),
      ]
        .filter(Boolean)
        .join(' · ');
    };

    const item = (post) =>
      h('li', { class: 'post-item' }, [
        h('a', { class: 'post-title', href: '/admin/editor/' + post.id + '/', text: post.title }),
        h('span', { class: 'badge badge-' + post.status, text: STATUS_LABELS[post.status] }),
        h('span', { class: 'post-meta', text: describe(post) }),
      ]);

    let latest = 0;
    const load = async () => {
      const query = new URLSearchParams();
      names.forEach((name) => {
        const input = field(form, name);
        if (input && input.value.trim()) {
          query.set(name, input.value.trim());
        }
      });
      if (page > 1) {
        query.set('page', String(page));
      }
      const shown = query.toString();
      history.replaceState(null, '', location.pathname + (shown ? '?' + shown : ''));
      query.set('type', kind);
      latest += 1;
      const mine = latest;
      list.setAttribute('aria-busy', 'true');
      let data = null;
      try {
        data = await api('GET', '/posts?' + query.toString());
      } catch (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
        return;
      } finally {
        list.removeAttribute('aria-busy');
      }
      if (mine !== latest) {
        return;
      }
      errorBox.hidden = true;
      const { pages, total } = data.pagination;
      list.replaceChildren(...data.posts.map(item));
      const filtered = names.some((name) => field(form, name) && field(form, name).value);
      summary.textContent =
        total === 0
          ? filtered
            ? 'No ' + kind + 's match these filters.'
            : 'No ' + kind + 's yet.'
          : plural(total, kind, kind + 's') + (pages > 1 ? ', page ' + page + ' of ' + pages : '');
      pager.hidden = pages <= 1;
      $('#page-info').textContent = 'Page ' + page + ' of ' + pages;
      $('#page-prev').disabled = page <= 1;
      $('#page-next').disabled = page >= pages;
    };

    let searchTimer = null;
    const reload = () => {
      page = 1;
      load();
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      reload();
    });
    form.addEventListener('change', (event) => {
      if (event.target.tagName === 'SELECT') {
        reload();
      }
    });
    field(form, 'q').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(reload, 300);
    });
    $('#page-prev').addEventListener('click', () => {
      page = Math.max(1, page - 1);
      load();
    });
    $('#page-next').addEventListener('click', () => {
      page += 1;
      load();
    });
    await load();
  };

  // --- The editor ---

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

  // --- Tags ---

  const setupTags = async () => {
    const form = $('#tag-form');
    const table = $('#tag-table');
    const summary = $('#tags-summary');
    const errorBox = $('#tags-error');

    const editor = (tag, row) => {
      const id = nextId('tag');
      const editForm = h('form', { class: 'form inline-form row-edit', novalidate: true }, [
        h('div', { class: 'form-error', role: 'alert', hidden: true }),
        ...[
          ['name', 'Name', tag.name],
          ['slug', 'Slug', tag.slug],
          ['description', 'Description', tag.description],
        ].map(([name, label, value]) =>
          h('div', { class: 'field' }, [
            h('label', { for: id + '-' + name, text: label }),
            h('input', {
              id: id + '-' + name,
              name,
              type: 'text',
              value,
              'aria-describedby': id + '-' + name + '-error',
            }),
            h('p', { class: 'field-error', id: id + '-' + name + '-error', hidden: true }),
          ]),
        ),
        h('div', { class: 'row' }, [
          h('button', { type: 'submit', class: 'button primary', text: 'Save' }),
          h('button', {
            type: 'button',
            class: 'button',
            text: 'Cancel',
            onclick: () => {
              editForm.remove();
              $('.edit-button', row).focus();
            },
          }),
        ]),
      ]);
      editForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearErrors(editForm);
        const payload = {
          name: field(editForm, 'name').value.trim(),
          slug: field(editForm, 'slug').value.trim(),
          description: field(editForm, 'description').value.trim(),
        };
        try {
          await api('PUT', '/tags/' + tag.id, payload);
        } catch (error) {
          showError(editForm, error);
          return;
        }
        toast('Tag “' + payload.name + '” saved.');
        await load();
      });
      return editForm;
    };

    const row = (tag) => {
      const li = h('li', {}, []);
      const main = h('div', { class: 'row-main' }, [
        h('div', { class: 'grow' }, [
          h('div', { class: 'row-title' }, [
            tag.name,
            tag.visibility === 'internal' ? ' ' : null,
            tag.visibility === 'internal' ? h('span', { class: 'badge badge-draft', text: 'Internal' }) : null,
          ]),
          h('div', {
            class: 'muted',
            text: '/tag/' + tag.slug + '/ · ' + plural(tag.post_count, 'post', 'posts') +
              (tag.description ? ' · ' + tag.description : ''),
          }),
        ]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small edit-button',
            text: 'Edit',
            'aria-label': 'Edit tag ' + tag.name,
            onclick: () => {
              const open = $('form', li);
              if (open) {
                $('input', open).focus();
                return;
              }
              const form2 = editor(tag, li);
              li.append(form2);
              $('input', form2).focus();
            },
          }),
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Delete',
            'aria-label': 'Delete tag ' + tag.name,
            onclick: async () => {
              const sure = await confirmDialog(
                'Delete the tag “' + tag.name + '”?',
                'It is removed from ' + plural(tag.post_count, 'post', 'posts') + '. The posts stay.',
                'Delete',
              );
              if (!sure) {
                return;
              }
              try {
                await api('DELETE', '/tags/' + tag.id);
              } catch (error) {
                errorBox.textContent = error.message;
                errorBox.hidden = false;
                return;
              }
              toast('Tag “' + tag.name + '” deleted.');
              await load();
              field(form, 'name').focus();
            },
          }),
        ]),
      ]);
      li.append(main);
      return li;
    };

    const load = async () => {
      const tags = await api('GET', '/tags');
      errorBox.hidden = true;
      table.replaceChildren(...tags.map(row));
      summary.textContent = tags.length ? plural(tags.length, 'tag', 'tags') : 'No tags yet.';
    };

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const payload = {
        name: field(form, 'name').value.trim(),
        description: field(form, 'description').value.trim(),
      };
      const slug = field(form, 'slug').value.trim();
      if (slug) {
        payload.slug = slug;
      }
      try {
        await busy($('button[type="submit"]', form), () => api('POST', '/tags', payload));
      } catch (error) {
        showError(form, error);
        return;
      }
      form.reset();
      toast('Tag “' + payload.name + '” added.');
      await load();
      field(form, 'name').focus();
    });
    await load();
  };

  // --- Staff ---

  const setupStaff = async () => {
    const me = body.dataset.userId;
    const manages = (body.dataset.manages || '').split(' ').filter(Boolean);
    const isOwner = body.dataset.isOwner === 'true';
    const list = $('#staff-list');
    const summary = $('#staff-summary');
    const errorBox = $('#staff-error');
    const inviteForm = $('#invite-staff-form');

    const fail = (error) => {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    };

    const change = async (user, patch, done) => {
      errorBox.hidden = true;
      try {
        await api('PUT', '/users/' + user.id, patch);
      } catch (error) {
        fail(error);
        return;
      }
      toast(done);
      await load();
    };

    // The link is shown once, to copy and pass on: Quire sends no email.
    const resetLink = async (user, button) => {
      errorBox.hidden = true;
      let link = null;
      try {
        link = await busy(button, () => api('POST', '/users/' + user.id + '/reset-link'));
      } catch (error) {
        fail(error);
        return;
      }
      $('#reset-result-text').textContent =
        'Password reset link for ' + link.name + ' (' + link.email + '), valid for ' +
        plural(link.valid_hours, 'hour', 'hours') + ':';
      const url = $('#reset-url');
      url.value = link.reset_url;
      $('#reset-result').hidden = false;
      url.focus();
      url.select();
    };

    const controls = (user) => {
      if (user.id === me || !manages.includes(user.role)) {
        return null;
      }
      const selectId = nextId('role');
      const roles = (isOwner ? ['owner'] : []).concat(manages);
      const select = h(
        'select',
        { id: selectId },
        roles.map((role) =>
          h('option', {
            value: role,
            selected: role === user.role,
            text: role === 'owner' ? 'Owner (hand ownership over)' : ROLE_LABELS[role],
          }),
        ),
      );
      const suspended = user.status === 'suspended';
      return h('div', { class: 'row-actions' }, [
        h('button', {
          type: 'button',
          class: 'button small',
          text: 'Create reset link',
          'aria-label': 'Create a password reset link for ' + user.name,
          onclick: (event) => resetLink(user, event.currentTarget),
        }),
        h('label', { for: selectId, class: 'visually-hidden', text: 'Role of ' + user.name }),
        select,
        h('button', {
          type: 'button',
          class: 'button small',
          text: 'Change role',
          'aria-label': 'Change the role of ' + user.name,
          onclick: async () => {
            const role = select.value;
            if (role === user.role) {
              return;
            }
            if (role === 'owner') {
              const sure = await confirmDialog(
                'Hand ownership to ' + user.name + '?',
                user.name + ' becomes the Owner, and you become an Administrator.',
                'Hand over',
              );
              if (!sure) {
                return;
              }
              await change(user, { role }, user.name + ' is now the Owner.');
              location.reload();
              return;
            }
            await change(user, { role }, user.name + ' is now ' + ROLE_LABELS[role] + '.');
          },
        }),
        h('button', {
          type: 'button',
          class: suspended ? 'button small' : 'button small danger',
          text: suspended ? 'Unsuspend' : 'Suspend',
          'aria-label': (suspended ? 'Unsuspend ' : 'Suspend ') + user.name,
          onclick: async () => {
            if (suspended) {
              await change(user, { status: 'active' }, user.name + ' can sign in again.');
              return;
            }
            const sure = await confirmDialog(
              'Suspend ' + user.name + '?',
              'They are signed out at once and cannot sign in until unsuspended. Their posts stay.',
              'Suspend',
            );
            if (sure) {
              await change(user, { status: 'suspended' }, user.name + ' is suspended.');
            }
          },
        }),
      ]);
    };

    const row = (user) =>
      h('li', {}, [
        h('div', { class: 'row-main' }, [
          h('div', { class: 'grow' }, [
            h('div', { class: 'row-title' }, [
              user.name,
              user.id === me ? ' (you)' : null,
              ' ',
              user.status === 'suspended' ? h('span', { class: 'badge badge-suspended', text: 'Suspended' }) : null,
            ]),
            h('div', {
              class: 'muted',
              text: ROLE_LABELS[user.role] + ' · ' + user.email +
                (user.last_login_at ? ' · last signed in ' + dateTime(user.last_login_at) : ' · never signed in'),
            }),
          ]),
          controls(user),
        ]),
      ]);

    const load = async () => {
      const users = await api('GET', '/users');
      list.replaceChildren(...users.map(row));
      summary.textContent = plural(users.length, 'staff member', 'staff members');
    };

    if (inviteForm) {
      inviteForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearErrors(inviteForm);
        const payload = { email: field(inviteForm, 'email').value.trim(), role: field(inviteForm, 'role').value };
        let invitation = null;
        try {
          invitation = await busy($('button[type="submit"]', inviteForm), () => api('POST', '/users', payload));
        } catch (error) {
          showError(inviteForm, error);
          return;
        }
        inviteForm.reset();
        $('#invite-result-text').textContent =
          'Invitation for ' + invitation.email + ' as ' + ROLE_LABELS[invitation.role] +
          ', valid until ' + dateTime(invitation.expires_at) + ':';
        const url = $('#invite-url');
        url.value = invitation.invite_url;
        $('#invite-result').hidden = false;
        url.focus();
        url.select();
      });
      $('#copy-invite').addEventListener('click', () => copyText($('#invite-url').value, $('#invite-url')));
    }
    $('#copy-reset').addEventListener('click', () => copyText($('#reset-url').value, $('#reset-url')));
    await load();
  };

  // --- Settings ---

  const setupSettings = async () => {
    const form = $('#settings-form');
    const rows = $('#nav-rows');
    const accent = $('#set-accent');
    const picker = $('#set-accent-picker');

    const fullHex = (value) =>
      /^#[0-9a-fA-F]{3}$/.test(value)
        ? '#' + value.slice(1).split('').map((c) => c + c).join('')
        : value;

    const navRow = (item) => {
      const id = nextId('nav');
      const li = h('li', { class: 'nav-row' }, []);
      const labelInput = h('input', { id: id + '-label', type: 'text', value: item.label, class: 'nav-label' });
      const urlInput = h('input', { id: id + '-url', type: 'text', value: item.url, class: 'nav-url', inputmode: 'url', spellcheck: 'false' });
      const describe = () => labelInput.value.trim() || 'this item';
      const move = (delta) => {
        const sibling = delta < 0 ? li.previousElementSibling : li.nextElementSibling;
        if (!sibling) {
          return;
        }
        if (delta < 0) {
          rows.insertBefore(li, sibling);
        }
        if (delta > 0) {
          rows.insertBefore(sibling, li);
        }
      };
      li.append(
        h('div', { class: 'field' }, [h('label', { for: id + '-label', text: 'Label' }), labelInput]),
        h('div', { class: 'field' }, [h('label', { for: id + '-url', text: 'URL' }), urlInput]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small',
            text: '↑',
            onclick: (event) => {
              move(-1);
              event.currentTarget.focus();
            },
            'aria-label': 'Move up',
          }),
          h('button', {
            type: 'button',
            class: 'button small',
            text: '↓',
            onclick: (event) => {
              move(1);
              event.currentTarget.focus();
            },
            'aria-label': 'Move down',
          }),
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Remove',
            onclick: () => {
              const next = li.nextElementSibling || li.previousElementSibling;
              li.remove();
              toast('Removed “' + describe() + '” from the menu (not saved yet).');
              (next ? $('input', next) : $('#nav-add')).focus();
            },
          }),
        ]),
      );
      return li;
    };

    const settings = await api('GET', '/settings');
    field(form, 'title').value = settings.title;
    field(form, 'description').value = settings.description;
    accent.value = settings.accent_color;
    picker.value = fullHex(settings.accent_color);
    field(form, 'logo').value = settings.logo || '';
    // the logo is saved with the rest of the settings, by "Save settings"
    setupImageField($('.image-upload', form), () => undefined)();
    field(form, 'posts_per_page').value = settings.posts_per_page;
    field(form, 'posts_per_page').min = 1;
    field(form, 'posts_per_page').max = 100;
    field(form, 'timezone').value = settings.timezone;
    field(form, 'codeinjection_head').value = settings.codeinjection_head;
    field(form, 'codeinjection_foot').value = settings.codeinjection_foot;
    rows.replaceChildren(...settings.navigation.map(navRow));
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    $('#timezones').replaceChildren(...['Etc/UTC'].concat(zones).map((zone) => h('option', { value: zone })));

    picker.addEventListener('input', () => {
      accent.value = picker.value;
    });
    accent.addEventListener('input', () => {
      if (/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(accent.value.trim())) {
        picker.value = fullHex(accent.value.trim());
      }
    });
    $('#nav-add').addEventListener('click', () => {
      const li = navRow({ label: '', url: '' });
      rows.append(li);
      $('input', li).focus();
    });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const timezone = field(form, 'timezone').value.trim();
      try {
        new Intl.DateTimeFormat('en', { timeZone: timezone }).format();
      } catch (e) {
        showError(form, failure(422, 'Choose a time zone from the list, such as Europe/Paris.', 'timezone'));
        return;
      }
      const navigation = $$('.nav-row', rows)
        .map((li) => ({ label: $('.nav-label', li).value.trim(), url: $('.nav-url', li).value.trim() }))
        .filter((item) => item.label || item.url);
      if (navigation.some((item) => !item.label || !item.url)) {
        showError(form, failure(422, 'Each menu item needs a label and a URL.', 'navigation'));
        return;
      }
      const payload = {
        title: field(form, 'title').value.trim(),
        description: field(form, 'description').value.trim(),
        accent_color: accent.value.trim(),
        logo: field(form, 'logo').value.trim(),
        posts_per_page: parseInt(field(form, 'posts_per_page').value, 10),
        timezone,
        navigation,
        codeinjection_head: field(form, 'codeinjection_head').value,
        codeinjection_foot: field(form, 'codeinjection_foot').value,
      };
      try {
        await busy($('button[type="submit"]', form), () => api('PUT', '/settings', payload));
      } catch (error) {
        showError(form, error);
        return;
      }
      toast('Settings saved. Every page of the site shows them now.');
    });
  };

  // --- Media ---

  const setupMedia = async () => {
    const grid = $('#media-grid');
    const summary = $('#media-summary');
    const errorBox = $('#media-error');
    const status = $('#media-upload-status');
    const uploadButton = $('#media-upload-button');
    const mayDelete = ['owner', 'administrator', 'editor'].includes(body.dataset.role);

    const fail = (error) => {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    };

    // The smallest variant is plenty for a thumbnail; GIFs and small images have none.
    const thumbnail = (image) => (image.variants.length ? image.variants[0].url : image.url);
    const typeName = (type) => (type.split('/')[1] || type).toUpperCase();

    const card = (image, index) => {
      const id = nextId('media');
      const name = 'image ' + (index + 1);
      const urlInput = h('input', { id: id + '-url', type: 'text', readonly: true, value: image.url, 'aria-label': 'URL of ' + name });
      const copy = h('button', {
        type: 'button',
        class: 'button small copy-url',
        'aria-describedby': id + '-url',
        text: 'Copy URL',
        onclick: async () => {
          if (await copyText(image.url, urlInput)) {
            copy.textContent = 'Copied';
            setTimeout(() => {
              copy.textContent = 'Copy URL';
            }, 2000);
          }
        },
      });
      const remove = mayDelete && !image.used
        ? h('button', {
          type: 'button',
          class: 'button small danger delete-image',
          'aria-label': 'Delete ' + name,
          text: 'Delete',
          onclick: async () => {
            const sure = await confirmDialog(
              'Delete this image?',
              'It is removed from storage for good. Nothing uses it now.',
              'Delete image',
            );
            if (!sure) {
              return;
            }
            errorBox.hidden = true;
            try {
              await busy(remove, () => api('DELETE', '/images/' + image.id));
            } catch (error) {
              fail(error);
              await load();
              return;
            }
            toast('Image deleted.');
            await load();
            uploadButton.focus();
          },
        })
        : null;
      const dimensions = image.width && image.height ? image.width + ' × ' + image.height : '';
      return h('li', { class: 'media-card', 'data-id': image.id, 'data-url': image.url }, [
        h('a', { class: 'media-thumb', href: image.url, target: '_blank', rel: 'noopener' }, [
          h('img', { src: thumbnail(image), alt: '', loading: 'lazy', width: image.width || null, height: image.height || null }),
          h('span', { class: 'visually-hidden', text: 'Open ' + name + ' (opens in a new tab)' }),
        ]),
        h('p', { class: 'media-facts' }, [
          h('span', { text: [dimensions, formatBytes(image.bytes), typeName(image.content_type)].filter(Boolean).join(' · ') }),
          h('span', { class: image.used ? 'badge badge-published' : 'badge badge-draft', text: image.used ? 'Used' : 'Unused' }),
        ]),
        h('div', { class: 'copy-row' }, [urlInput, copy]),
        remove ? h('div', { class: 'row' }, [remove]) : null,
      ]);
    };

    const load = async () => {
      const images = await api('GET', '/images');
      grid.replaceChildren(...images.map(card));
      const unused = images.filter((image) => !image.used).length;
      summary.textContent = images.length
        ? plural(images.length, 'image', 'images') + ', ' + unused + ' unused.'
        : 'No images yet. Upload one, or add one in the editor.';
    };

    const upload = async (files) => {
      errorBox.hidden = true;
      let added = 0;
      const refused = [];
      await busy(uploadButton, async () => {
        for (const file of files) {
          status.textContent = 'Uploading ' + file.name + '…';
          try {
            await uploadImage(file);
            added += 1;
          } catch (error) {
            refused.push(file.name + ': ' + error.message);
          }
        }
      });
      status.textContent = added ? plural(added, 'image', 'images') + ' uploaded.' : '';
      if (refused.length) {
        fail(failure(0, refused.join(' ')));
      }
      await load();
    };
    filePicker(uploadButton, $('#media-file'), upload);
    dropTarget($('#media-drop'), upload);
    await load();
  };

  // --- Account ---

  const setupAccount = () => {
    const form = $('#password-form');
    const inputFor = (name) =>
      ({ password: $('#new-password'), new_password: $('#new-password'), old_password: $('#old-password') })[name] || null;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const oldPassword = field(form, 'old_password').value;
      const newPassword = field(form, 'new_password').value;
      if (newPassword !== field(form, 'confirm_password').value) {
        showError(form, failure(422, 'The two new passwords differ.', 'confirm_password'));
        return;
      }
      try {
        await busy($('button[type="submit"]', form), () =>
          api('PUT', '/users/me/password', { old_password: oldPassword, new_password: newPassword }),
        );
      } catch (error) {
        showError(form, error, (name) => inputFor(name) || field(form, name));
        return;
      }
      form.reset();
      toast('Password changed. Your other sessions were signed out.');
    });
  };

  const PAGES = {
    login: setupLogin,
    setup: setupSetup,
    invite: setupInvite,
    reset: setupReset,
    posts: setupPosts,
    editor: setupEditor,
    media: setupMedia,
    tags: setupTags,
    staff: setupStaff,
    settings: setupSettings,
    account: setupAccount,
  };

  setupSignOut();
  const start = PAGES[body.dataset.page] || (() => undefined);
  Promise.resolve()
    .then(start)
    .then(markReady, (error) => {
      if (navigating) {
        return;
      }
      const main = $('#main');
      main.prepend(
        h('div', { class: 'form-error', role: 'alert' }, [
          'This page could not load: ' + error.message + ' ',
          h('a', { href: location.href, text: 'Try again' }),
        ]),
      );
      body.setAttribute('data-failed', 'true');
    });
})();
