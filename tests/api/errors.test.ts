import express from 'express';
import request from 'supertest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, WorkflowNotFoundError } from '@temporalio/common';
import { z } from 'zod';
import { AppError, errorMiddleware, type TErrorLogger } from '../../api/errors';

function appThrowing(err: unknown, logged: unknown[] = []) {
  const logger: TErrorLogger = { error: (message, meta) => logged.push({ message, meta }) };
  const app = express();
  app.use(express.json());
  app.post('/boom', () => {
    throw err;
  });
  app.use(errorMiddleware(logger));
  return app;
}

function updateFailed(type: string, message = 'refused by the workflow'): WorkflowUpdateFailedError {
  return new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type, message }));
}

describe('error middleware', () => {
  it.each([
    ['VALIDATION', 400],
    ['UNAUTHENTICATED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
  ] as const)('When a route throws AppError %s, then the answer is %d with that code', async (code, status) => {
    const res = await request(appThrowing(new AppError(code, 'why'))).post('/boom');
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message: 'why' } });
  });

  it('When a Zod schema rejects input, then the answer is 400 with the Zod issues', async () => {
    const parsed = z.object({ name: z.string() }).safeParse({ name: 3 });
    const res = await request(appThrowing(parsed.error)).post('/boom');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.issues[0].path).toEqual(['name']);
  });

  it('When the body is malformed JSON, then the answer is 400, not 500', async () => {
    const res = await request(appThrowing(new Error('never reached')))
      .post('/boom')
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'VALIDATION', message: 'Malformed JSON body' });
  });

  it('When the body is larger than the parser allows, then the answer is 413 with the limit', async () => {
    const res = await request(appThrowing(new Error('never reached')))
      .post('/boom')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ text: 'a'.repeat(200_000) }));
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body too large (the limit is 102400 bytes)',
    });
  });

  it('When the body comes in an encoding the parser does not know, then the answer is 415', async () => {
    const res = await request(appThrowing(new Error('never reached')))
      .post('/boom')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'compress')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('When a path parameter is not valid percent-encoding, then the answer is 400, not 500', async () => {
    const logged: unknown[] = [];
    const app = express();
    app.get('/items/:id', (_req, res) => {
      res.json({});
    });
    app.use(errorMiddleware({ error: (message) => logged.push(message) }));
    const res = await request(app).get('/items/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(logged).toEqual([]);
  });

  it('When the workflow does not exist, then the answer is 404', async () => {
    const res = await request(appThrowing(new WorkflowNotFoundError('gone', 'task-x', undefined))).post('/boom');
    expect(res.status).toBe(404);
  });

  it.each([
    ['NotAuthorized', 403],
    ['InvalidTransition', 409],
    ['ValidationError', 400],
    ['NotFound', 404],
  ])('When a workflow validator refuses with %s, then the answer is %d with its message', async (type, status) => {
    const res = await request(appThrowing(updateFailed(type, `rule says no (${type})`))).post('/boom');
    expect(res.status).toBe(status);
    expect(res.body.error.message).toBe(`rule says no (${type})`);
  });

  it('When an update fails because its activity refused with ValidationError, then the answer is 400', async () => {
    const activityFailure = new ActivityFailure(
      'Activity task failed',
      'createChildTasks',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      ApplicationFailure.create({ type: 'ValidationError', message: 'Unit u9 has no rectification office above it' }),
    );
    const res = await request(
      appThrowing(new WorkflowUpdateFailedError('Workflow Update failed', activityFailure)),
    ).post('/boom');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Unit u9 has no rectification office above it');
  });

  it('When a workflow update fails with an unknown failure type, then the answer is a generic 500', async () => {
    const logged: unknown[] = [];
    const res = await request(appThrowing(updateFailed('SomethingOdd', 'internal detail'), logged)).post('/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('internal detail');
    expect(logged).toHaveLength(1);
  });

  it('When anything unexpected is thrown, then the answer is a 500 that leaks nothing and the error is logged', async () => {
    const logged: unknown[] = [];
    const res = await request(appThrowing(new Error('password=hunter2 at /srv/db'), logged)).post('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error' } });
    expect(JSON.stringify(logged)).toContain('POST');
  });
});
