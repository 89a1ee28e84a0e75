// The signed-in member's own account.

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
