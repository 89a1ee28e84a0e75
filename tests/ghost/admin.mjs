// Writes to a Quire site with Ghost's official Admin API client, as publishing tools and
// scripts do, and prints what it got as one JSON object for the test that runs it.
// Usage: node admin.mjs URL ADMIN_KEY write IMAGE_FILE
//        node admin.mjs URL ADMIN_KEY delete POST_ID
//        node admin.mjs URL ADMIN_KEY refused
import GhostAdminAPI from '@tryghost/admin-api';

const [url, key, command, arg] = process.argv.slice(2);
const api = new GhostAdminAPI({ url, key, version: 'v5.0' });
const failure = (error) => ({
  error: error.message,
  type: error.type || error.name,
  context: error.context || null,
});
const attempt = async (work) => {
  try {
    return await work();
  } catch (error) {
    return failure(error);
  }
};

const out = {};
if (command === 'write') {
  // a post written in HTML, as writing apps send it
  out.added = await attempt(() =>
    api.posts.add(
      {
        title: 'Sent from a writing app',
        html: '<p>Hello <strong>world</strong>, from <a href="https://example.com/">a link</a>.</p>'
          + '<h2>A part</h2><ul><li>one</li><li>two</li></ul>',
        status: 'published',
        tags: ['Apps', { name: 'Second tag' }],
        custom_excerpt: 'Written elsewhere.',
      },
      { source: 'html', formats: 'html' },
    ));
  const id = out.added.id;
  // edited with the updated_at it was read at
  out.edited = await attempt(() =>
    api.posts.edit({ id, updated_at: out.added.updated_at, title: 'Edited from a writing app' }));
  // a second edit based on the first answer: someone else changed it since
  out.stale = await attempt(() =>
    api.posts.edit({ id, updated_at: out.added.updated_at, title: 'Stale edit' }));
  out.noUpdatedAt = await attempt(() => api.posts.edit({ id, title: 'No date' }));
  out.read = await attempt(() => api.posts.read({ id }, { formats: 'html,lexical' }));
  out.bySlug = await attempt(() => api.posts.read({ slug: out.read.slug }));
  // a draft page with a Lexical body, as Ghost's editor writes it
  const lexical = JSON.stringify({
    root: {
      type: 'root',
      version: 1,
      children: [
        { type: 'paragraph', version: 1, children: [{ type: 'text', version: 1, text: 'How this site is made.', format: 0 }] },
      ],
    },
  });
  out.page = await attempt(() => api.pages.add({ title: 'Colophon', lexical }, { formats: 'html' }));
  out.drafts = await attempt(async () =>
    (await api.pages.browse({ filter: 'status:draft', limit: 'all' })).map((p) => p.slug));
  out.browse = await attempt(async () => {
    const posts = await api.posts.browse({ filter: 'tag:apps', limit: 'all' });
    return { slugs: posts.map((p) => p.slug), total: posts.meta.pagination.total };
  });
  out.image = await attempt(() => api.images.upload({ file: arg, ref: 'photo.png' }));
  out.tag = await attempt(() => api.tags.add({ name: 'From the API', description: 'Made by a script.' }));
  out.tags = await attempt(async () => (await api.tags.browse({ limit: 'all' })).map((t) => t.slug));
  out.site = await attempt(() => api.site.read());
} else if (command === 'delete') {
  out.deleted = await attempt(() => api.posts.delete({ id: arg }));
  out.gone = await attempt(() => api.posts.read({ id: arg }));
} else if (command === 'refused') {
  out.refused = await attempt(() => api.posts.browse());
}
process.stdout.write(JSON.stringify(out));
