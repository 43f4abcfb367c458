import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, credentials, signOut } from './api.js';
import { SignIn } from './pages/SignIn.jsx';
import { Queues } from './pages/Queues.jsx';
import { Workers } from './pages/Workers.jsx';
import { Tasks } from './pages/Tasks.jsx';
import { TaskDetail } from './pages/TaskDetail.jsx';
import { Submit } from './pages/Submit.jsx';
import { Batches, BatchDetail } from './pages/Batches.jsx';
import { Requests, RequestDetail } from './pages/Requests.jsx';
import { Gallery, GalleryModel } from './pages/Gallery.jsx';
import { Schedules, ScheduleDetail } from './pages/Schedules.jsx';
import { Clients } from './pages/Clients.jsx';
import './style.css';

// Hash routing (#/tasks/ID): the server only ever serves index.html at /, so no route needs a
// server-side fallback, and a reload keeps the page.
function useRoute() {
  const read = () => (location.hash.replace(/^#/, '') || '/').split('?')[0];
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function page(route, me) {
  const parts = route.split('/').filter(Boolean);
  const admin = me.role === 'admin';
  switch (parts[0]) {
    case 'queues':
      return admin ? <Queues /> : <Forbidden />;
    case 'workers':
      return admin ? <Workers /> : <Forbidden />;
    case 'tasks':
      // keyed: another task's page starts from nothing (its stream, its events)
      return parts[1] ? <TaskDetail key={parts[1]} id={parts[1]} /> : <Tasks />;
    case 'submit':
      return <Submit />;
    case 'batches':
      return parts[1] ? <BatchDetail id={parts[1]} /> : <Batches />;
    case 'requests':
      return parts[1] ? <RequestDetail id={parts[1]} /> : <Requests />;
    case 'schedules':
      if (!admin) return <Forbidden />;
      return parts[1] ? <ScheduleDetail id={parts[1]} /> : <Schedules />;
    case 'clients':
      return admin ? <Clients /> : <Forbidden />;
    case 'gallery':
      return parts[1] ? <GalleryModel id={parts[1]} /> : <Gallery />;
    default:
      return admin ? <Queues /> : <Tasks />;
  }
}

function Forbidden() {
  return <p class="error">This page is for admin clients.</p>;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState(null);
  const [signedIn, setSignedIn] = useState(() => credentials() !== null);

  useEffect(() => {
    if (!signedIn) return;
    api('/me').then(setMe).catch(() => {
      signOut();
      setSignedIn(false);
    });
  }, [signedIn]);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  if (!me) return <p class="muted">Loading…</p>;

  const admin = me.role === 'admin';
  const nav = [
    admin && ['#/queues', 'Queues'],
    admin && ['#/workers', 'Workers'],
    ['#/tasks', 'Tasks'],
    ['#/submit', 'Submit'],
    ['#/batches', 'Batches'],
    ['#/requests', 'Image → 3D'],
    ['#/gallery', 'Gallery'],
    admin && ['#/schedules', 'Schedules'],
    admin && ['#/clients', 'Clients'],
  ].filter(Boolean);
  const current = '#/' + (route.split('/')[1] || (admin ? 'queues' : 'tasks'));

  async function out() {
    if (credentials()?.header === 'Authorization') await api('/auth/logout', { method: 'POST' }).catch(() => {});
    signOut();
    setMe(null);
    setSignedIn(false);
  }

  return (
    <>
      <header>
        <strong>Kiln</strong>
        <nav>
          {nav.map(([href, label]) => (
            <a href={href} class={current === href ? 'active' : ''}>{label}</a>
          ))}
        </nav>
        <span class="who">
          {me.email || me.api_client_id} · {me.role}
          <button class="link" onClick={out}>Sign out</button>
        </span>
      </header>
      <main>{page(route, me)}</main>
    </>
  );
}

render(<App />, document.getElementById('app'));
