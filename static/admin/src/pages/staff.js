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

  // With email set up the server sends a link and the page says so; else (or when sending
  // failed) the link is shown once, to copy and pass on.
  const showDelivery = (box, answer, sentText) => {
    $('.copy-row', box).hidden = answer.emailed;
    $('.hint', box).hidden = answer.emailed;
    let note = $('.email-error', box);
    if (!note) {
      note = h('p', { class: 'email-error field-error', role: 'alert' });
      box.prepend(note);
    }
    note.textContent = answer.email_error || '';
    note.hidden = !answer.email_error;
    return answer.emailed ? sentText : null;
  };

  const resetLink = async (user, button) => {
    errorBox.hidden = true;
    let link = null;
    try {
      link = await busy(button, () => api('POST', '/users/' + user.id + '/reset-link'));
    } catch (error) {
      fail(error);
      return;
    }
    const sent = showDelivery(
      $('#reset-result'),
      link,
      'Password reset link sent to ' + link.name + ' (' + link.email + '), valid for ' +
        plural(link.valid_hours, 'hour', 'hours') + '.',
    );
    $('#reset-result-text').textContent =
      sent ||
      'Password reset link for ' + link.name + ' (' + link.email + '), valid for ' +
        plural(link.valid_hours, 'hour', 'hours') + ':';
    const url = $('#reset-url');
    url.value = link.reset_url;
    $('#reset-result').hidden = false;
    if (sent) {
      $('#reset-result-text').focus();
      return;
    }
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

  // Invitations not yet accepted: who was invited as what, by whom, until when; revoking one
  // makes its link stop working.
  const invitationList = $('#invitation-list');
  const revoke = async (invitation, button) => {
    const sure = await confirmDialog(
      'Revoke the invitation for ' + invitation.email + '?',
      'The link they were given stops working. You can invite them again later.',
      'Revoke',
    );
    if (!sure) {
      return;
    }
    errorBox.hidden = true;
    try {
      await busy(button, () => api('DELETE', '/invitations/' + invitation.id));
    } catch (error) {
      fail(error);
      return;
    }
    toast('The invitation for ' + invitation.email + ' is revoked.');
    await loadInvitations();
  };
  const invitationRow = (invitation) =>
    h('li', {}, [
      h('div', { class: 'row-main' }, [
        h('div', { class: 'grow' }, [
          h('div', { class: 'row-title', text: invitation.email }),
          h('div', {
            class: 'muted',
            text:
              ROLE_LABELS[invitation.role] + ' · invited' +
              (invitation.invited_by ? ' by ' + invitation.invited_by : '') + ' ' + dateTime(invitation.created_at) +
              ' · expires ' + dateTime(invitation.expires_at),
          }),
        ]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Revoke',
            'aria-label': 'Revoke the invitation for ' + invitation.email,
            onclick: (event) => revoke(invitation, event.currentTarget),
          }),
        ]),
      ]),
    ]);
  const loadInvitations = async () => {
    if (!invitationList) {
      return;
    }
    const invitations = await api('GET', '/invitations');
    invitationList.replaceChildren(...invitations.map(invitationRow));
    $('#invitations-summary').textContent = invitations.length
      ? plural(invitations.length, 'invitation waits', 'invitations wait') + ' to be accepted.'
      : 'No invitation waits to be accepted.';
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
      const sent = showDelivery(
        $('#invite-result'),
        invitation,
        'Invitation sent to ' + invitation.email + ' as ' + ROLE_LABELS[invitation.role] +
          '. The link in it works once, until ' + dateTime(invitation.expires_at) + '.',
      );
      $('#invite-result-text').textContent =
        sent ||
        'Invitation for ' + invitation.email + ' as ' + ROLE_LABELS[invitation.role] +
          ', valid until ' + dateTime(invitation.expires_at) + ':';
      const url = $('#invite-url');
      url.value = invitation.invite_url;
      $('#invite-result').hidden = false;
      await loadInvitations();
      if (sent) {
        $('#invite-result-text').focus();
        return;
      }
      url.focus();
      url.select();
    });
    $('#copy-invite').addEventListener('click', () => copyText($('#invite-url').value, $('#invite-url')));
  }
  $('#copy-reset').addEventListener('click', () => copyText($('#reset-url').value, $('#reset-url')));
  await Promise.all([load(), loadInvitations()]);
};
