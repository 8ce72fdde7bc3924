/**
 * Security headers on every response, API and browser application alike.
 * - The Content-Security-Policy allows only this origin: the application is bundled and served by the product, and
 *   nothing is fetched from elsewhere at run time. Two exceptions, both forced by the UI toolkit and bundler:
 *   `style-src 'unsafe-inline'` (antd writes its CSS-in-JS into <style> elements at run time) and `data:`/`blob:`
 *   images and `data:` fonts (small assets Vite inlines, previews of files chosen for upload).
 *   Scripts stay 'self' only: no inline script, no eval.
 * - Framing is refused (X-Frame-Options and frame-ancestors) against clickjacking of the sign-off buttons.
 * - Strict-Transport-Security only on https requests: on plain http (the local demo) it would mean nothing.
 */
import type { RequestHandler } from 'express';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=15552000');
    next();
  };
}
