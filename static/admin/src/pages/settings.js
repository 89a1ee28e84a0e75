// Settings, the site's followers on the fediverse, and the integrations that hold API keys and
// webhooks.

// Ghost's webhook events (the server checks them too)
const WEBHOOK_EVENTS = ['post', 'page']
  .flatMap((kind) =>
    ['added', 'deleted', 'edited', 'published', 'published.edited', 'unpublished', 'scheduled', 'unscheduled', 'rescheduled']
      .map((what) => kind + '.' + what),
  )
  .concat(['tag.added', 'tag.edited', 'tag.deleted', 'site.changed']);

// One delivery, in words: where it went, how it went, when.
const deliveryText = (d) => {
  const where = d.event + ' to ' + (d.target_url || 'a deleted webhook') + (d.integration ? ' (' + d.integration + ')' : '');
  const tries = plural(d.attempts, 'attempt', 'attempts');
  const how = {
    done: 'Delivered (' + (d.last_result || 'sent') + ') after ' + tries + ', ' + dateTime(d.finished_at || d.created_at),
    failed: 'Failed after ' + tries + ': ' + (d.last_result || 'no answer'),
    sending: 'Being sent (' + plural(d.attempts, 'attempt', 'attempts') + ' so far)',
    pending: d.attempts
      ? 'Retrying at ' + dateTime(d.next_attempt_at) + ' after ' + tries + ': ' + (d.last_result || 'no answer')
      : 'Waiting to be sent',
  }[d.state];
  return [where, how];
};

const setupDeliveries = async () => {
  const list = $('#delivery-list');
  const load = async () => {
    const deliveries = await api('GET', '/webhooks/deliveries');
    list.replaceChildren(
      ...deliveries.map((d) => {
        const [where, how] = deliveryText(d);
        return h('li', { class: 'delivery-' + d.state }, [
          h('div', { class: 'row-title', text: where }),
          h('div', { class: 'muted', text: how + ' · queued ' + dateTime(d.created_at) }),
        ]);
      }),
    );
    $('#deliveries-summary').textContent = deliveries.length
      ? plural(deliveries.length, 'recent delivery', 'recent deliveries')
      : 'No webhook has been called yet.';
  };
  $('#deliveries-refresh').addEventListener('click', (event) => busy(event.currentTarget, load));
  await load();
};

// The webhooks of one integration: listed, added, deleted.
const webhooksOf = (integration, reload, errorsIn) => {
  const id = nextId('webhook');
  const list = h('ul', { class: 'rows', 'aria-label': 'Webhooks of ' + integration.name }, []);
  const remove = async (hook, button) => {
    const sure = await confirmDialog(
      'Delete the webhook ' + hook.event + ' to ' + hook.target_url + '?',
      'Calls not made yet are not made.',
      'Delete',
    );
    if (!sure) {
      return;
    }
    try {
      await busy(button, () => api('DELETE', '/webhooks/' + hook.id));
    } catch (error) {
      showError(errorsIn, error);
      return;
    }
    toast('The webhook is deleted.');
    await reload();
  };
  const hookRow = (hook) =>
    h('li', {}, [
      h('div', { class: 'row-main' }, [
        h('div', { class: 'grow' }, [
          h('div', { class: 'row-title', text: hook.event + ' → ' + hook.target_url }),
          h('div', {
            class: 'muted',
            text:
              (hook.name ? hook.name + ' · ' : '') +
              (hook.last_triggered_at
                ? 'last called ' + dateTime(hook.last_triggered_at) + ': ' +
                  (hook.last_triggered_error || 'answered ' + hook.last_triggered_status)
                : 'not called yet'),
          }),
        ]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Delete',
            'aria-label': 'Delete the webhook ' + hook.event + ' to ' + hook.target_url,
            onclick: (event) => remove(hook, event.currentTarget),
          }),
        ]),
      ]),
    ]);
  const input = (name, label, attrs) =>
    h('div', { class: 'field' }, [
      h('label', { for: id + '-' + name, text: label }),
      h('input', Object.assign({ id: id + '-' + name, name, type: 'text', spellcheck: 'false' }, attrs)),
    ]);
  const form = h('form', { class: 'form inline-form webhook-form', novalidate: 'novalidate' }, [
    h('div', { class: 'form-error', role: 'alert', hidden: 'hidden' }, []),
    h('div', { class: 'field' }, [
      h('label', { for: id + '-event', text: 'Event' }),
      h('select', { id: id + '-event', name: 'event' }, WEBHOOK_EVENTS.map((e) => h('option', { value: e, text: e }))),
    ]),
    input('target_url', 'Target URL', { inputmode: 'url', required: 'required', placeholder: 'https://example.com/hook' }),
    input('name', 'Name (optional)', { maxlength: '191' }),
    input('secret', 'Secret (optional, signs each call)', { maxlength: '191', autocomplete: 'off' }),
    h('button', { type: 'submit', class: 'button', text: 'Add webhook' }),
  ]);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const value = (name) => field(form, name).value.trim();
    try {
      await busy($('button[type="submit"]', form), () =>
        api('POST', '/integrations/' + integration.id + '/webhooks', {
          event: value('event'),
          target_url: value('target_url'),
          name: value('name') || null,
          secret: value('secret') || null,
        }),
      );
    } catch (error) {
      showError(form, error);
      return;
    }
    toast('Webhook added: ' + value('event') + ' calls ' + value('target_url') + '.');
    await reload();
  });
  const load = async () => {
    const hooks = await api('GET', '/integrations/' + integration.id + '/webhooks');
    list.replaceChildren(...hooks.map(hookRow));
  };
  const section = h('details', { class: 'webhooks' }, [
    h('summary', { text: 'Webhooks of ' + integration.name }),
    list,
    form,
  ]);
  return { section, load };
};

const setupIntegrations = async () => {
  const form = $('#integration-form');
  const list = $('#integration-list');
  const remove = async (integration, button) => {
    const sure = await confirmDialog(
      'Delete the integration ' + integration.name + '?',
      'Its Content API and Admin API keys stop working at once, for every tool that uses them.',
      'Delete',
    );
    if (!sure) {
      return;
    }
    try {
      await busy(button, () => api('DELETE', '/integrations/' + integration.id));
    } catch (error) {
      showError(form, error);
      return;
    }
    toast('The integration ' + integration.name + ' is deleted; its keys no longer work.');
    await load();
  };
  const row = (integration, hooks) =>
    h('li', {}, [
      h('div', { class: 'row-main' }, [
        h('div', { class: 'grow' }, [
          h('div', { class: 'row-title', text: integration.name }),
          h('div', {
            class: 'muted',
            text:
              'Content API key ' + integration.content_key + ' · Admin API key ' + integration.admin_key_id +
              ':… · added' + (integration.created_by ? ' by ' + integration.created_by : '') + ' ' +
              dateTime(integration.created_at),
          }),
        ]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Delete',
            'aria-label': 'Delete the integration ' + integration.name,
            onclick: (event) => remove(integration, event.currentTarget),
          }),
        ]),
      ]),
      hooks.section,
    ]);
  // which integrations' webhooks are open, kept across reloads of the list
  const open = new Set();
  const load = async () => {
    const integrations = await api('GET', '/integrations');
    const rows = integrations.map((integration) => {
      const hooks = webhooksOf(integration, load, form);
      hooks.section.open = open.has(integration.id);
      hooks.section.addEventListener('toggle', () =>
        hooks.section.open ? open.add(integration.id) : open.delete(integration.id),
      );
      return { integration, hooks };
    });
    await Promise.all(rows.map((r) => r.hooks.load()));
    list.replaceChildren(...rows.map((r) => row(r.integration, r.hooks)));
    $('#integrations-summary').textContent = integrations.length
      ? plural(integrations.length, 'integration', 'integrations')
      : 'No integration yet.';
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    let made = null;
    try {
      made = await busy($('button[type="submit"]', form), () =>
        api('POST', '/integrations', { name: field(form, 'name').value.trim() }),
      );
    } catch (error) {
      showError(form, error);
      return;
    }
    form.reset();
    $('#integration-result-text').textContent = 'Added ' + made.name + '. Its keys:';
    $('#integration-content-key').value = made.content_key;
    $('#integration-admin-key').value = made.admin_key;
    $('#integration-result').hidden = false;
    $('#integration-admin-key').focus();
    $('#integration-admin-key').select();
    await load();
  });
  $('#copy-content-key').addEventListener('click', () =>
    copyText($('#integration-content-key').value, $('#integration-content-key')),
  );
  $('#copy-admin-key').addEventListener('click', () =>
    copyText($('#integration-admin-key').value, $('#integration-admin-key')),
  );
  await load();
};

// `@user@host` of an account of the fediverse: its preferred name and the host of its id.
const accountHandle = (user, id) => {
  let host = '';
  try {
    host = new URL(id).host;
  } catch (e) {
    host = '';
  }
  return user && host ? '@' + user + '@' + host : id;
};

// The site on the fediverse: the handle people look it up by (shown in the handle's hint) and
// the accounts that follow it, a page at a time. Only editors and above may list followers;
// for anyone else the API answers 403 and the list stays hidden.
const setupFediverse = () => {
  const section = $('#followers');
  const list = $('#follower-list');
  const summary = $('#followers-summary');
  const shown = $('#fediverse-handle');
  // the saved settings, and what the server says: the host of the site's handle, and the
  // name it makes from the title when no handle is set
  const known = { enabled: true, handle: '', made: '', host: location.host };
  let page = 1;

  const renderHandle = () => {
    const name = known.handle ? known.handle.toLowerCase() : known.made;
    const full = '@' + name + '@' + known.host;
    if (!name) {
      shown.textContent = '';
      return;
    }
    shown.textContent = known.enabled
      ? 'People search for ' + full + ' to follow the site.'
      : 'While publishing is off, searching for ' + full + ' finds nothing.';
  };

  const row = (follower) => {
    const handle = accountHandle(follower.preferred_username, follower.id);
    const href = httpUrl(follower.url) || httpUrl(follower.id);
    const icon = httpUrl(follower.icon);
    const name = follower.name || handle;
    return h('li', { class: 'account-row' }, [
      icon ? h('img', { class: 'avatar', src: icon, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' }) : null,
      h('div', { class: 'grow' }, [
        h('div', { class: 'row-title' }, [href ? externalLink(href, name) : name]),
        // without a name, the handle is the title already
        h('div', { class: 'muted', text: (follower.name ? handle + ' · ' : '') + 'followed ' + dateOnly(follower.followed_at) }),
      ]),
    ]);
  };

  const load = async () => {
    let data = null;
    try {
      data = await api('GET', '/fediverse/followers?page=' + page);
    } catch (error) {
      section.hidden = error.status === 403;
      summary.textContent = 'The followers could not load: ' + error.message;
      list.replaceChildren();
      return;
    }
    // a follower who left may have taken the last page with them
    if (data.page > data.pages) {
      page = data.pages;
      await load();
      return;
    }
    const parts = /^@([^@]+)@(.+)$/.exec(data.handle || '');
    if (parts) {
      known.host = parts[2];
      known.made = known.handle ? known.made : parts[1];
    }
    renderHandle();
    section.hidden = false;
    list.replaceChildren(...data.followers.map(row));
    summary.textContent =
      data.total === 0
        ? 'Nobody follows the site yet.'
        : plural(data.total, 'follower', 'followers') + (data.pages > 1 ? ', page ' + page + ' of ' + data.pages : '');
    $('#followers-pages').hidden = data.pages <= 1;
    $('#followers-page').textContent = 'Page ' + page + ' of ' + data.pages;
    $('#followers-prev').disabled = page <= 1;
    $('#followers-next').disabled = page >= data.pages;
  };

  // a button that turns the page keeps the focus, unless it has reached the end
  const turn = (delta, button, other) => async () => {
    page = Math.max(1, page + delta);
    await load();
    if (button.disabled) {
      other.focus();
    }
  };
  $('#followers-prev').addEventListener('click', turn(-1, $('#followers-prev'), $('#followers-next')));
  $('#followers-next').addEventListener('click', turn(1, $('#followers-next'), $('#followers-prev')));

  // Takes the settings as saved. The name made from the title comes from the server, with
  // the followers: after a change, it is asked again.
  const saved = (settings) => {
    known.enabled = settings.activitypub_enabled;
    known.handle = settings.activitypub_handle;
    known.made = '';
    renderHandle();
  };
  return { load, saved };
};

const setupSettings = async () => {
  await setupIntegrations();
  await setupDeliveries();
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

  const fediverse = setupFediverse();
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
  field(form, 'activitypub_enabled').checked = settings.activitypub_enabled;
  field(form, 'activitypub_handle').value = settings.activitypub_handle;
  field(form, 'activitypub_post_type').value = settings.activitypub_post_type;
  fediverse.saved(settings);
  await fediverse.load();
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
    const handle = field(form, 'activitypub_handle').value.trim();
    if (handle && !/^[A-Za-z0-9_]{1,30}$/.test(handle)) {
      showError(form, failure(422, 'A handle is 1 to 30 letters, digits and underscores, or empty.', 'activitypub_handle'));
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
      // a checkbox's value is "on" whether it is ticked or not: the setting is a JSON boolean
      activitypub_enabled: field(form, 'activitypub_enabled').checked,
      activitypub_handle: handle,
      activitypub_post_type: field(form, 'activitypub_post_type').value,
    };
    let stored = null;
    try {
      stored = await busy($('button[type="submit"]', form), () => api('PUT', '/settings', payload));
    } catch (error) {
      showError(form, error);
      return;
    }
    toast('Settings saved. Every page of the site shows them now.');
    fediverse.saved(stored);
    await fediverse.load();
  });
};
