import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, Err, Time, useLoad } from '../ui.jsx';
import { ModelViewer } from './ModelViewer.jsx';

/** GET /gallery (latest or popular), the caller's own models beside it. */
export function Gallery() {
  const [sort, setSort] = useState('latest');
  const [cursor, setCursor] = useState(null);
  const [page, error] = useLoad(() => api('/gallery' + query({ sort, limit: 24, cursor })), [sort, cursor]);
  return (
    <section>
      <h1>Gallery</h1>
      <p>
        <label><input type="radio" name="sort" checked={sort === 'latest'} onChange={() => { setCursor(null); setSort('latest'); }} /> latest</label>
        <label><input type="radio" name="sort" checked={sort === 'popular'} onChange={() => { setCursor(null); setSort('popular'); }} /> popular</label>
      </p>
      <Err error={error} />
      <div class="assets">
        {(page?.items || []).map((m) => (
          <figure data-model={m.id}>
            <a href={`#/gallery/${m.id}`}>
              {m.preview_image_url ? <img src={m.preview_image_url} alt={m.name} /> : <div class="placeholder">{m.format}</div>}
            </a>
            <figcaption>{m.name} · ♥ {m.like_count} · {m.view_count} views</figcaption>
          </figure>
        ))}
      </div>
      {page && !page.items.length && <p class="muted">Nothing published yet.</p>}
      <p>
        {cursor && <button onClick={() => setCursor(null)}>First page</button>}
        {page?.next_cursor && <button onClick={() => setCursor(page.next_cursor)}>Next page</button>}
      </p>
    </section>
  );
}

/** One published model (GET /gallery/{id}, which counts a view) in the 3D viewer; like, favorite. */
export function GalleryModel({ id }) {
  const [loaded, error] = useLoad(() => api(`/gallery/${id}`), [id]);
  // A toggle answers with the new counts; reading the model again would count another view.
  const [toggled, setToggled] = useState({});
  if (error) return <Err error={error} />;
  if (!loaded) return <p class="muted">Loading…</p>;
  const model = { ...loaded, ...toggled };
  const toggle = (what) => api(`/models/${id}/${what}`, { method: 'POST' }).then((r) => setToggled({ ...toggled, ...r }));
  return (
    <section data-model={id}>
      <h1>{model.name}</h1>
      {model.description && <p>{model.description}</p>}
      <ModelViewer url={model.model_url} />
      <p class="actions">
        <ActionButton action={() => toggle('like')}>
          {model.liked ? 'Unlike' : 'Like'} ({model.like_count})</ActionButton>
        <ActionButton action={() => toggle('favorite')}>
          {model.favorited ? 'Unfavorite' : 'Favorite'} ({model.favorite_count})</ActionButton>
        {model.mine && <ActionButton action={() => api(`/models/${id}/unpublish`, { method: 'POST' })
          .then(() => { location.hash = '#/gallery'; })}>Unpublish</ActionButton>}
      </p>
      <p class="muted">{model.format} · {Math.round((model.file_size || 0) / 1024)} KiB · {model.view_count} views ·
        {' '}{model.download_count} downloads · published <Time at={model.published_at} /></p>
    </section>
  );
}
