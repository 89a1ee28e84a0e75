// Staff: members, roles and invitations.

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
        'aria-label': 'Create reset link for ' + user.name,
        onclick: (event) => resetLink(user, event.currentTarget),
      }),
      h('label', { for: selectId, class: 'visually-hidden', text: 'Role of ' + user.name }),
      select,
      h('button', {
        type: 'button',
        class: 'button small',
        text: 'Change role',
        'aria-label': 'Change role of ' + user.name,
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
