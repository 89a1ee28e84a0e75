// Starts the page named by <body data-page="...">, after the sign-out button every signed-in
// page has. A page that fails to load says so with a way to try again.

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

const PAGES = {
  login: setupLogin,
  setup: setupSetup,
  invite: setupInvite,
  reset: setupReset,
  forgot: setupForgot,
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
