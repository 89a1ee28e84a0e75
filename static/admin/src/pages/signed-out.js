// The signed-out pages: sign in, first set-up, invitation, password reset, and asking for a
// reset link by email.

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

// "Forgot password?": asks for a reset link by email. The answer is the same whether or not
// the address belongs to anyone, so the page only repeats it. Without email set up, the server
// shows no form.
const setupForgot = () => {
  const form = $('#forgot-form');
  if (!form) {
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = field(form, 'email').value.trim();
    if (!email) {
      showError(form, failure(422, 'Enter your email address.', 'email'));
      return;
    }
    let answer = null;
    try {
      answer = await busy($('button[type="submit"]', form), () =>
        api('POST', '/password-resets', { email }, { signedOut: true }),
      );
    } catch (error) {
      showError(form, error);
      return;
    }
    const sent = $('#forgot-sent');
    sent.textContent = answer.message;
    sent.hidden = false;
    form.hidden = true;
    $('#forgot-intro').hidden = true;
  });
  $('#email').focus();
};
