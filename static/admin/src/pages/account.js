// The signed-in member's own account: the public profile, and the password.

// API field → the input that edits it
const PROFILE_INPUTS = {
  name: '#profile-name',
  slug: '#profile-slug',
  bio: '#profile-bio',
  website: '#profile-website',
  location: '#profile-location',
  avatar_url: '#profile-avatar',
  cover_image: '#profile-cover',
};

const setupProfile = async () => {
  const form = $('#profile-form');
  const fill = (user) => {
    Object.keys(PROFILE_INPUTS).forEach((name) => {
      $(PROFILE_INPUTS[name]).value = user[name] || '';
    });
    $('#author-page-link').href = '/author/' + user.slug + '/';
  };
  const renderImages = $$('.image-upload', form).map((box) => setupImageField(box, () => {}));
  fill(await api('GET', '/users/me'));
  renderImages.forEach((render) => render());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const profile = {};
    Object.keys(PROFILE_INPUTS).forEach((name) => {
      profile[name] = $(PROFILE_INPUTS[name]).value;
    });
    let user = null;
    try {
      user = await busy($('button[type="submit"]', form), () => api('PUT', '/users/me', profile));
    } catch (error) {
      showError(form, error, (name) => (PROFILE_INPUTS[name] ? $(PROFILE_INPUTS[name]) : null));
      return;
    }
    fill(user);
    renderImages.forEach((render) => render());
    toast('Profile saved.');
  });
};


const setupAccount = async () => {
  await setupProfile();
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
