// A scheduled post going live while it is open: the server publishes it at its time without
// making it a new version, so saving still works; this notices it and says so.

const editorSchedule = (ed) => {
  const { state, renderStatus, updateSaveState } = ed;
  // timers wait at most this long (browsers cap a timeout near 24.8 days)
  const LONGEST_WAIT = 24 * 60 * 60 * 1000;
  let timer = null;

  const check = async () => {
    if (!state.id || state.status !== 'scheduled' || !state.post) {
      return;
    }
    const due = new Date(state.post.published_at).getTime();
    if (Date.now() < due) {
      watch();
      return;
    }
    let post = null;
    try {
      post = await api('GET', '/posts/' + state.id);
    } catch (error) {
      timer = setTimeout(check, 30000);
      return;
    }
    // another edit meanwhile is the conflict banner's business, on the next save
    if (post.status !== 'published' || post.version !== state.version || state.status !== 'scheduled') {
      if (post.status === 'scheduled') {
        timer = setTimeout(check, 5000);
      }
      return;
    }
    state.post = post;
    state.status = post.status;
    state.savedMessage = 'Published on schedule at ' + clock(new Date(post.published_at));
    renderStatus();
    updateSaveState();
    toast('This ' + ed.kind + ' went live as scheduled: ' + post.url);
  };
  // called after every load and save: (re)arms the timer for the post's time
  const watch = () => {
    clearTimeout(timer);
    if (state.status !== 'scheduled' || !state.post || !state.post.published_at) {
      return;
    }
    const wait = new Date(state.post.published_at).getTime() - Date.now() + 1500;
    timer = setTimeout(check, Math.max(1000, Math.min(wait, LONGEST_WAIT)));
  };
  // a tab in the background may have its timers slowed down: look again when it is back
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      check();
    }
  });
  Object.assign(ed, { watchSchedule: watch });
};
