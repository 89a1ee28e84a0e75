// The post on the fediverse: how many liked and boosted it, and its replies. Shown while the
// post is published, loaded when it comes on screen so, and again on "Refresh".

// Replies come from other servers, and this is the one place the admin inserts HTML it did not
// render itself. The server sanitises a reply before storing it (p, br, a, span, em, strong, b,
// i, blockquote, code, pre; links to http(s) only); it is cleaned again here all the same, for
// a row that reached the table another way: parsed in an inert <template> (no script runs, no
// image loads), then rebuilt from new elements of the allowed tags, which carry no attribute
// but a link's http(s) address (a link without one becomes its text). Other elements lose
// their tag and keep their text; scripts, styles and embedded documents lose both.
const REPLY_TAGS = ['p', 'br', 'a', 'span', 'em', 'strong', 'b', 'i', 'blockquote', 'code', 'pre'];
const REPLY_DROPPED = ['script', 'style', 'template', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math'];

const cleanReplyNode = (node) => {
  if (node.nodeType === Node.TEXT_NODE) {
    return document.createTextNode(node.data);
  }
  const name = node.nodeType === Node.ELEMENT_NODE ? node.localName : '';
  // comments, and elements whose content is not text to read
  if (!name || REPLY_DROPPED.includes(name)) {
    return null;
  }
  const children = Array.from(node.childNodes).map(cleanReplyNode);
  if (!REPLY_TAGS.includes(name)) {
    const fragment = document.createDocumentFragment();
    children.forEach((child) => child && fragment.append(child));
    return fragment;
  }
  const href = name === 'a' ? httpUrl(node.getAttribute('href')) : null;
  if (href) {
    return h('a', { href, target: '_blank', rel: 'nofollow noopener noreferrer ugc' }, children);
  }
  // a link to nowhere (or to `javascript:`) is its text
  return h(name === 'a' ? 'span' : name, {}, children);
};

const cleanReply = (html) => {
  const template = document.createElement('template');
  template.innerHTML = html || '';
  const fragment = document.createDocumentFragment();
  try {
    Array.from(template.content.childNodes)
      .map(cleanReplyNode)
      .forEach((node) => node && fragment.append(node));
  } catch (e) {
    // nested too deep to walk: its text alone
    fragment.replaceChildren(document.createTextNode(template.content.textContent));
  }
  return fragment;
};

const editorFediverse = (ed) => {
  const { state } = ed;
  const panel = $('#fediverse');
  if (!panel) {
    // pages are not sent to the fediverse
    Object.assign(ed, { watchFediverse: () => undefined });
    return;
  }
  const counts = $('#fediverse-counts');
  const list = $('#fediverse-replies');
  const refresh = $('#fediverse-refresh');

  const reply = (item) => {
    const author = httpUrl(item.actor_url);
    const who = item.actor_name || item.actor_handle || item.actor_id;
    const at = item.published_at || item.created_at;
    const when = h('time', { datetime: at, text: dateTime(at) });
    const link = httpUrl(item.url);
    return h('li', { class: 'fediverse-reply' }, [
      h('p', { class: 'reply-meta' }, [
        author ? externalLink(author, who, { class: 'reply-author' }) : h('span', { class: 'reply-author', text: who }),
        item.actor_name && item.actor_handle ? h('span', { class: 'muted', text: ' ' + item.actor_handle }) : null,
        h('span', { class: 'muted', text: ' · ' }),
        link ? externalLink(link, when) : when,
      ]),
      h('div', { class: 'reply-content' }, [cleanReply(item.content_html)]),
    ]);
  };

  const load = async () => {
    let data = null;
    list.setAttribute('aria-busy', 'true');
    try {
      data = await api('GET', '/posts/' + state.id + '/fediverse');
    } catch (error) {
      counts.textContent = 'The likes, boosts and replies could not load: ' + error.message;
      return;
    } finally {
      list.removeAttribute('aria-busy');
    }
    counts.textContent = [
      plural(data.likes, 'like', 'likes'),
      plural(data.boosts, 'boost', 'boosts'),
      plural(data.replies, 'reply', 'replies'),
    ].join(' · ');
    list.replaceChildren(...data.interactions.filter((i) => i.kind === 'reply').map(reply));
  };
  refresh.addEventListener('click', () => busy(refresh, load));

  // called whenever the post's status is shown: the panel comes with publishing, and goes
  // with unpublishing
  const watch = () => {
    const live = !!state.post && state.status === 'published';
    if (!live) {
      panel.hidden = true;
      return;
    }
    if (panel.hidden) {
      panel.hidden = false;
      load();
    }
  };
  Object.assign(ed, { watchFediverse: watch });
};
