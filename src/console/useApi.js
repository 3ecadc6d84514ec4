import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

/** A GET that loads when `path` changes; `reload()` asks again. `path` null: nothing to load. */
export function useApi(path) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: Boolean(path) });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api('GET', path).then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An action (POST, PATCH…) with its pending flag, its last result and its last error. */
export function useAction(run) {
  const [state, setState] = useState({ busy: false, result: undefined, error: undefined });
  const act = async (...args) => {
    setState({ busy: true, result: undefined, error: undefined });
    try {
      const result = await run(...args);
      setState({ busy: false, result, error: undefined });
      return result;
    } catch (error) {
      setState({ busy: false, result: undefined, error });
      return undefined;
    }
  };
  return { ...state, act };
}
