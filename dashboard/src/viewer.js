// The .glb viewer: three.js with its GLTFLoader and OrbitControls, loaded on first use only
// (a separate chunk), so the rest of the dashboard stays small.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

/**
 * Shows the model at url in canvas's parent; resolves to {triangles} once it is drawn, rejects
 * if it does not load. Returns {done, dispose}.
 */
export function show(canvas, url) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
  const width = canvas.clientWidth || 480;
  const height = canvas.clientHeight || 360;
  renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
  renderer.setSize(width, height, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf1f2f4);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 2);
  sun.position.set(3, 5, 4);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(40, width / height, 0.01, 1000);
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = true;
  let frame = 0;
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    controls.update();
    renderer.render(scene, camera);
    frame = requestAnimationFrame(loop);
  };

  const done = new GLTFLoader().loadAsync(url).then((gltf) => {
    const model = gltf.scene;
    // Frame the model whatever its units: centre it and back the camera off by its size.
    const box = new THREE.Box3().setFromObject(model);
    const size = box.getSize(new THREE.Vector3()).length() || 1;
    model.position.sub(box.getCenter(new THREE.Vector3()));
    scene.add(model);
    camera.position.set(size * 0.9, size * 0.6, size * 0.9);
    camera.near = size / 100;
    camera.far = size * 100;
    camera.updateProjectionMatrix();
    controls.target.set(0, 0, 0);
    let triangles = 0;
    model.traverse((o) => {
      if (o.isMesh) triangles += (o.geometry.index ? o.geometry.index.count : o.geometry.attributes.position.count) / 3;
    });
    loop();
    return { triangles };
  });

  return {
    done,
    dispose() {
      stopped = true;
      cancelAnimationFrame(frame);
      controls.dispose();
      renderer.dispose();
    },
  };
}
