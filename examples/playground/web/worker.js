// The playground's checker, in a Web Worker so that the editor stays
// responsive while it works: it loads nnc.wasm (whose functions are
// described in ../play.go), says {ready: true}, then answers each
// {id, name, args} with {id, result}, result being the function's JSON
// ({"error": ...} for a function that is not there).
importScripts("wasm_exec.js");

self.nncReady = () => postMessage({ ready: true });

onmessage = ({ data }) => {
  const { id, name, args } = data;
  let result;
  try {
    if (name === "spin") {
      // Busy for args[0] ms: the page's self-test checks its watchdog.
      for (const end = Date.now() + args[0]; Date.now() < end;);
      result = "{}";
    } else {
      result = self.nnc[name](...args);
    }
  } catch (e) {
    result = JSON.stringify({ error: String(e) });
  }
  postMessage({ id, result });
};

const go = new Go();
WebAssembly.instantiateStreaming(fetch("nnc.wasm"), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => postMessage({ loadError: String(e) }));
