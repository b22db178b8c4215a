import { decodeRoutePath } from '../spec/primitives.js';
import type { Model } from './types.js';

const views = new WeakMap<Model, Model>();

/**
 * The model as nginx and Kong compare paths: prefix and exact route paths percent-decoded ("/my%20docs" -> "/my docs").
 * nginx matches locations against its decoded URI and Kong's router against a path decoded except for reserved bytes;
 * route paths only encode bytes a client must encode, in one canonical form, so decoding keeps every route apart and
 * keeps prefix relations (HAProxy matches the path as sent, the spec's own form).
 */
export function decodedPaths(model: Model): Model {
  if (!model.routes.some((r) => r.pathType !== 'regex' && r.path.includes('%'))) return model;
  let view = views.get(model);
  if (!view) {
    const routes = model.routes.map((r) => (r.pathType !== 'regex' && r.path.includes('%') ? { ...r, path: decodeRoutePath(r.path) } : r));
    views.set(model, (view = { ...model, routes }));
  }
  return view;
}
