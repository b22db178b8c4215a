/** A file an emitter writes, relative to its layer's directory; the main config comes first. */
export interface LayerFile { path: string; content: string }
