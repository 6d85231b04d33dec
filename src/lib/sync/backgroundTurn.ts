interface PostTaskScheduler {
  postTask(callback: () => void, options: { priority: 'background' }): Promise<void>;
}

/**
 * Pause background work (loading rooms behind the list) until the page has handled what is waiting: input,
 * rendering, and reads for what the person just opened. Where the browser has prioritised tasks
 * (`scheduler.postTask`), the rest of the work waits behind every normal task; elsewhere for one task.
 */
export function backgroundTurn(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<PostTaskScheduler> }).scheduler;
  if (typeof scheduler?.postTask === 'function') {
    return scheduler.postTask(() => {}, { priority: 'background' });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
