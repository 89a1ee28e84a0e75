// The post and page lists.

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

  // a search's passage: text between U+E000 and U+E001 is a match, shown marked
  const snippet = (text) =>
    h(
      'p',
      { class: 'post-snippet' },
      text.split(/([\uE000\uE001])/).reduce(
        (parts, piece) => {
          if (piece === '\uE000' || piece === '\uE001') {
            return { nodes: parts.nodes, marked: piece === '\uE000' };
          }
          const node = parts.marked ? h('mark', { text: piece }) : document.createTextNode(piece);
          return { nodes: parts.nodes.concat([node]), marked: parts.marked };
        },
        { nodes: [], marked: false },
      ).nodes,
    );

  const item = (post) =>
    h('li', { class: 'post-item' }, [
      h('a', { class: 'post-title', href: '/admin/editor/' + post.id + '/', text: post.title }),
      h('span', { class: 'badge badge-' + post.status, text: STATUS_LABELS[post.status] }),
      h('span', { class: 'post-meta', text: describe(post) }),
      post.snippet ? snippet(post.snippet) : null,
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
