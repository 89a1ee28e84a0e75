// Reads a Quire site with Ghost's official Content API client, as a headless front end does,
// and prints what it got as one JSON object for the test that runs it.
// Usage: node content.mjs URL KEY
import GhostContentAPI from '@tryghost/content-api';

const [url, key] = process.argv.slice(2);
const api = new GhostContentAPI({ url, key, version: 'v5.0' });
const failure = (error) => ({
  error: error.message,
  status: error.response ? error.response.status : null,
  body: error.response ? error.response.data : null,
});
const attempt = async (work) => {
  try {
    return await work();
  } catch (error) {
    return failure(error);
  }
};

const out = {};
out.first = await attempt(async () => {
  const posts = await api.posts.browse({ limit: 2, include: 'tags,authors' });
  return { posts, meta: posts.meta };
});
// every post, page by page, as a static site generator pages through them
out.paged = await attempt(async () => {
  const slugs = [];
  let page = 1;
  for (;;) {
    const posts = await api.posts.browse({ limit: 2, page, fields: 'slug,title' });
    slugs.push(...posts.map((p) => p.slug));
    if (!posts.meta.pagination.next) {
      return { slugs, pages: posts.meta.pagination.pages };
    }
    page = posts.meta.pagination.next;
  }
});
out.all = await attempt(async () => {
  const posts = await api.posts.browse({ limit: 'all', fields: 'id,slug', order: 'published_at asc' });
  return { posts, meta: posts.meta };
});
out.bySlug = await attempt(() => api.posts.read({ slug: 'second-post' }, { include: 'tags,authors', formats: 'html,plaintext' }));
out.byId = await attempt(async () => api.posts.read({ id: out.bySlug.id }));
out.missing = await attempt(() => api.posts.read({ slug: 'no-such-post' }));
out.pages = await attempt(() => api.pages.browse());
out.tags = await attempt(() => api.tags.browse({ include: 'count.posts' }));
out.tag = await attempt(() => api.tags.read({ slug: 'travel' }, { include: 'count.posts' }));
out.authors = await attempt(() => api.authors.browse({ include: 'count.posts' }));
out.settings = await attempt(() => api.settings.browse());
out.tiers = await attempt(() => api.tiers.browse());
// filters as front ends write them (NQL)
const filtered = async (filter, options = {}) =>
  attempt(async () => (await api.posts.browse({ filter, ...options })).map((p) => p.slug));
out.filters = {
  tag: await filtered('tag:travel'),
  tagsAndFeatured: await filtered('tags:[travel,news]+featured:true'),
  notTheSecond: await filtered(`id:-${out.bySlug.id}+tag:travel`),
  after: await filtered("published_at:>'2026-01-01 12:00:00'+published_at:<'2026-01-03'"),
  either: await filtered('slug:first-post,slug:third-post', { order: 'published_at asc' }),
  author: await filtered(`author:${out.bySlug.primary_author.slug}+primary_tag:travel`),
  broken: await filtered('tag:[travel'),
  unknownField: await filtered('password:x'),
};
out.tagFilters = {
  visible: await attempt(async () => (await api.tags.browse({ filter: 'visibility:public', limit: 'all' })).map((t) => t.slug)),
  some: await attempt(async () => (await api.tags.browse({ filter: 'slug:[travel,no-such-tag]' })).map((t) => t.slug)),
  author: await attempt(async () =>
    (await api.authors.browse({ filter: `slug:-${out.bySlug.primary_author.slug}` })).map((a) => a.slug)),
  unknownField: await attempt(() => api.tags.browse({ filter: 'featured:true' })),
};
out.wrongKey = await attempt(() => new GhostContentAPI({ url, key: '0123456789abcdef0123456789', version: 'v5.0' }).posts.browse());
process.stdout.write(JSON.stringify(out));
