import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates without a build step: html`<${Component} prop=${value} />`. */
export const html = htm.bind(h);
