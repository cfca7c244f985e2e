/**
 * The text a reader sees on an HTML page, for comparing a live page with its
 * mirror copy: parsed with htmlparser2 (a streaming, forgiving HTML parser),
 * entities decoded, the contents of `<script>`, `<style>` and `<template>`
 * dropped, comments and attributes ignored, whitespace collapsed to single
 * spaces. Block boundaries (`<p>`, `<li>`, `<br>`…) separate words, inline
 * elements (`<a>`, `<strong>`…) do not, so `un<b>usual</b>` stays one word.
 *
 * Nonces, CSRF tokens and fingerprinted asset URLs live in attributes and
 * scripts, so two copies that differ only in those have the same text.
 */
import { Parser } from 'htmlparser2';

/** Elements whose contents a reader never sees as text. */
export const HIDDEN_ELEMENTS: ReadonlySet<string> = new Set(['script', 'style', 'template']);

/** Elements that start a new line or box: their edges separate words. */
const BLOCK_ELEMENTS: ReadonlySet<string> = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li',
  'legend', 'main', 'nav', 'ol', 'option', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'title', 'tr', 'ul', 'body', 'head', 'html',
]);

export function visibleText(html: string): string {
  const parts: string[] = [];
  let hiddenDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (HIDDEN_ELEMENTS.has(name)) hiddenDepth++;
        else if (BLOCK_ELEMENTS.has(name)) parts.push(' ');
      },
      onclosetag(name) {
        if (HIDDEN_ELEMENTS.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1);
        else if (BLOCK_ELEMENTS.has(name)) parts.push(' ');
      },
      ontext(text) {
        if (hiddenDepth === 0) parts.push(text);
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** The words of a page's visible text. */
export function visibleWords(html: string): string[] {
  const text = visibleText(html);
  return text === '' ? [] : text.split(' ');
}
