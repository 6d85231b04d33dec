/** Where the relay's socket lives: the same origin that served the app. */
export function relayUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/sync`;
}
