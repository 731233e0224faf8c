if __name__ == "__main__":  # a training process imports this file: it must start nothing
    from convlab.app import main

    raise SystemExit(main())
