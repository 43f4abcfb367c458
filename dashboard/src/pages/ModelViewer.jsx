import { useEffect, useRef, useState } from 'preact/hooks';

/** A .glb in a three.js canvas, drag to turn; data-triangles says it was drawn. */
export function ModelViewer({ url }) {
  const canvas = useRef(null);
  const [state, setState] = useState({ phase: 'loading' });
  // A page that reads its model again gets a freshly signed url for the same file each time:
  // load again only for another file, or the model would flicker back to "loading" on each read.
  const file = url?.split('?')[0];
  useEffect(() => {
    if (!url) return undefined;
    let view = null;
    let gone = false;
    setState({ phase: 'loading' });
    import('../viewer.js').then(({ show }) => {
      if (gone) return;
      view = show(canvas.current, url);
      view.done.then((r) => !gone && setState({ phase: 'shown', triangles: r.triangles }),
        (e) => !gone && setState({ phase: 'error', message: e.message || String(e) }));
    }, (e) => setState({ phase: 'error', message: e.message }));
    return () => {
      gone = true;
      view?.dispose();
    };
  }, [file]);
  return (
    <figure class="viewer" data-phase={state.phase} data-triangles={state.triangles}>
      <canvas ref={canvas} width="480" height="360" />
      <figcaption>
        {state.phase === 'loading' && 'Loading the model…'}
        {state.phase === 'shown' && `${state.triangles} triangles · drag to turn, scroll to zoom`}
        {state.phase === 'error' && <span class="error">The model did not load: {state.message}</span>}
        {' '}<a href={url}>download .glb</a>
      </figcaption>
    </figure>
  );
}
