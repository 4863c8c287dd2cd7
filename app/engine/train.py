"""Next-character training (SPEC section 8): the recurrent stack, a dense head, Adam.

The model reads a text's characters one-hot and predicts the next one at every step:

    h_t      = the recurrent stack of SPEC sections 3-4 (one direction) at step t    (T, H)
    logits_t = h_t V + v                                                             (T, C)
    loss     = mean over t of softmax cross-entropy(logits_t, target_t)

The recurrent stack is the very compiled layer a run calls (``unroll.compiled_layer``), one call
per layer, recorded by a ``tf.GradientTape``: training and ``/api/run`` share the cells, the
padding and the layers, and TensorFlow differentiates the layer's traced graph (its gradient
functions are built once per cell variant, on the first training, and reused by every later one).
The head, the loss and the updates are a handful of eager operations around it, so nothing here
is traced per request, per hidden size or per number of layers.

Each layer's weights live in one variable in the layout the compiled layer reads (the rows of the
kernel, the recurrent kernel, the input bias and the recurrent bias, ``(D + H + 2, G*H)``), with
the bias as given: the LSTM ``forget_bias`` is a constant added on the way in, never trained
into the weights. Adam is element-wise, so one variable per layer updates exactly as the three
Keras arrays would; the recurrent-bias row of a cell that has none gets no gradient and stays 0.

Adam (Keras' defaults: β1 0.9, β2 0.999, ε 1e-7), the whole sequence one batch, at update t::

    alpha = lr * sqrt(1 - β2^t) / (1 - β1^t)
    m    += (g - m) * (1 - β1)
    v    += (g² - v) * (1 - β2)
    w    -= m * alpha / (sqrt(v) + ε)

which is Keras 3's ``Adam.update_step`` and TensorFlow's fused ``ResourceApplyAdam`` kernel
(the one Keras 2 called), used here: one operation per variable.

The head's seeded weights come, like the layers' (``weights.py``), from numpy's PCG64 generator,
from the seed sequence ``(seed, 2**32 - 1)``: no layer's ``(seed, layer, direction)`` is that
stream (layers are numbered from 0, far below 2**32 - 1). ``V`` is Glorot-uniform in float64,
rounded once to float32, ``v`` zeros: bit-identical in every process and on every machine.
"""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from app.engine.config import NetworkSpec
from app.engine.unroll import compiled_layer
from app.engine.weights import LayerArrays, WeightArrays, glorot_uniform

HEAD_STREAM = 2**32 - 1  # the head's word in its seed sequence (module docstring)
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults


@dataclass(frozen=True)
class Head:
    """The dense head: ``logits = h @ kernel + bias``."""

    kernel: np.ndarray  # (H, C)
    bias: np.ndarray  # (C,)


def seeded_head(hidden_size: int, classes: int, seed: int) -> Head:
    """Keras' ``Dense`` defaults (Glorot-uniform kernel, zero bias), reproducible from ``seed``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, HEAD_STREAM])))
    kernel = glorot_uniform(rng, (hidden_size, classes)).astype(np.float32)
    return Head(kernel, np.zeros(classes, np.float32))


@dataclass(frozen=True)
class Epoch:
    """The model's numbers at one epoch's weights (epoch 0: before any update)."""

    epoch: int
    loss: float  # float32's value
    accuracy: float  # fraction of steps whose most likely character is the target
    predicted: np.ndarray  # (T,) int, the most likely class at each step (the first on a tie)
    probabilities: np.ndarray  # (T, C) float32, softmax of the logits


def next_characters(text: str, vocabulary: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``text[:-1]`` one-hot (1, T, C) and targets ``text[1:]`` as class indices (T,),
    over ``vocabulary`` (default: the text's characters in order of first appearance)."""
    vocabulary = vocabulary or "".join(dict.fromkeys(text))
    index = np.asarray([vocabulary.index(char) for char in text], np.int32)
    inputs = np.eye(len(vocabulary), dtype=np.float32)[index[:-1]][None]  # (1, T, C)
    return inputs, index[1:]


class Trainer:
    """The network's weights as variables, Adam's moments, and one epoch at a time.

    ``step()`` reports the current weights' numbers, then updates them once; ``epoch`` counts the
    updates done. ``weights()`` and ``head()`` read the current weights in the Keras layout.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        inputs: np.ndarray,
        targets: np.ndarray,
        weights: list[LayerArrays],
        head: Head,
        learning_rate: float,
        device: str | None = None,
    ) -> None:
        if spec.bidirectional:
            raise ValueError("training reads the text forward only: bidirectional must be false")
        batch, steps, self._size = inputs.shape  # (1, T, C)
        if batch != 1 or targets.shape != (steps,):
            raise ValueError("inputs must be (1, T, C) and targets (T,)")
        self.spec, self.device, self.epoch = spec, device, 0
        self._layer = compiled_layer(spec)
        self._learning_rate = np.float32(learning_rate)
        hidden, states = spec.hidden_size, len(spec.state_names)
        with tf.device(device):
            self._inputs = tf.constant(inputs.transpose(1, 0, 2))  # (T, 1, C)
            self._lengths = tf.constant([steps], tf.int32)
            self._targets = tf.constant(targets, tf.int32)
            self._initial = tf.zeros((1, states * hidden))  # (1, S*H)
            self._packed = [tf.Variable(self._pack(w["forward"])) for w in weights]
            self._offsets = [tf.constant(self._offset(layer)) for layer in range(spec.num_layers)]
            self._head_kernel = tf.Variable(head.kernel)
            self._head_bias = tf.Variable(head.bias)
            self._variables = [*self._packed, self._head_kernel, self._head_bias]
            self._moments = [
                (tf.Variable(tf.zeros_like(w)), tf.Variable(tf.zeros_like(w)))
                for w in self._variables
            ]

    # ---- the layout of the compiled layer's weights ------------------------------------------

    def _pack(self, weights: WeightArrays) -> np.ndarray:
        """``(D + H + 2, G*H)``: kernel, recurrent kernel, then the bias as one or two rows
        (``[2, 3H]`` for GRU reset_after: input and recurrent bias; else ``[G*H]`` and a zero
        row)."""
        rows = np.zeros((2, weights.kernel.shape[1]), np.float32)
        bias = weights.bias.reshape(-1, weights.kernel.shape[1])  # (1 or 2, G*H)
        rows[: len(bias)] = bias
        return np.vstack([weights.kernel, weights.recurrent_kernel, rows])

    def _offset(self, layer: int) -> np.ndarray:
        """What the layer adds to its packed weights: the LSTM forget bias, folded into the input
        bias row as ``NetworkSpec.split_bias`` does for runs."""
        size = self.spec.layer_input_size(layer, self._size) + self.spec.hidden_size
        b_in, b_rec = self.spec.split_bias(np.zeros(self.spec.bias_shape, np.float32))
        return np.vstack([np.zeros((size, b_in.shape[0]), np.float32), b_in, b_rec])

    def _unpack(self, layer: int, packed: np.ndarray) -> WeightArrays:
        size = self.spec.layer_input_size(layer, self._size)
        hidden, bias_rows = self.spec.hidden_size, len(self.spec.bias_shape)
        bias = packed[size + hidden : size + hidden + bias_rows].reshape(self.spec.bias_shape)
        return WeightArrays(packed[:size], packed[size : size + hidden], bias)

    # ---- the model --------------------------------------------------------------------------

    def weights(self) -> list[LayerArrays]:
        """The recurrent stack's current weights, per layer, in the Keras layout."""
        return [
            {"forward": self._unpack(layer, packed.numpy())}
            for layer, packed in enumerate(self._packed)
        ]

    def head(self) -> Head:
        return Head(self._head_kernel.numpy(), self._head_bias.numpy())

    def _loss(self) -> tuple[tf.Tensor, tf.Tensor]:
        """The mean cross-entropy and the logits (T, C) at the current weights."""
        x = self._inputs  # (T, 1, D)
        for packed, offset in zip(self._packed, self._offsets, strict=True):
            _, _, x = self._layer(x, self._lengths, self._initial, packed + offset)  # (T, 1, H)
        logits = tf.matmul(x[:, 0], self._head_kernel) + self._head_bias  # (T, C)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(self._targets, logits)  # (T,)
        return tf.reduce_mean(losses), logits

    def _gradients(self) -> tuple[tf.Tensor, tf.Tensor, list[tf.Tensor]]:
        with tf.device(self.device):
            with tf.GradientTape() as tape:
                loss, logits = self._loss()
            return loss, logits, tape.gradient(loss, self._variables)

    def gradients(self) -> tuple[float, list[LayerArrays], Head]:
        """The loss and its gradient with respect to every weight, in the Keras layout."""
        loss, _, grads = self._gradients()
        layers = [
            {"forward": self._unpack(layer, grad.numpy())} for layer, grad in enumerate(grads[:-2])
        ]
        return float(loss.numpy()), layers, Head(grads[-2].numpy(), grads[-1].numpy())

    def step(self, update: bool = True) -> Epoch:
        """The current weights' loss, accuracy and predictions; then, if ``update``, one Adam
        update of every weight (module docstring)."""
        if update:
            loss, logits, grads = self._gradients()
            self._apply_adam(grads)
        else:
            with tf.device(self.device):
                loss, logits = self._loss()
        with tf.device(self.device):
            probabilities = tf.nn.softmax(logits).numpy()  # (T, C)
        predicted = probabilities.argmax(axis=1)
        result = Epoch(
            epoch=self.epoch,
            loss=float(loss.numpy()),
            accuracy=float(np.mean(predicted == self._targets.numpy())),
            predicted=predicted,
            probabilities=probabilities,
        )
        self.epoch += int(update)
        return result

    def _apply_adam(self, grads: list[tf.Tensor]) -> None:
        t = np.float32(self.epoch + 1)
        one = np.float32
        with tf.device(self.device):
            for variable, grad, (m, v) in zip(self._variables, grads, self._moments, strict=True):
                tf.raw_ops.ResourceApplyAdam(
                    var=variable.handle,
                    m=m.handle,
                    v=v.handle,
                    beta1_power=one(BETA_1) ** t,
                    beta2_power=one(BETA_2) ** t,
                    lr=self._learning_rate,
                    beta1=one(BETA_1),
                    beta2=one(BETA_2),
                    epsilon=one(EPSILON),
                    grad=grad,
                )
