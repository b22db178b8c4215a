/** Official images edgegen boots by default, pinned in one place; override per layer with --image or `image:` in the spec. */
export const DEFAULT_IMAGES = {
  loadBalancer: 'haproxy:2.8',
  gateway: 'kong:3.9.3',
  proxy: 'nginx:1.27',
  service: 'node:20-slim',
} as const;

export type ImageLayer = keyof typeof DEFAULT_IMAGES;
